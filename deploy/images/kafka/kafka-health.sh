#!/bin/bash
# Healthy once the first client listener accepts connections: cheaper every 5 s than a JVM of Kafka's tools.
listeners=$(sed -n 's/^listeners=//p' /etc/kafka/server.properties | tail -n 1)
for listener in ${listeners//,/ }; do
  [[ $listener == CONTROLLER:* ]] && continue
  exec 3<>"/dev/tcp/127.0.0.1/${listener##*:}" && exit 0
  exit 1
done
exit 1
