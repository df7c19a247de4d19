#!/bin/bash
# Writes /etc/kafka/server.properties (defaults, then one line per KAFKA_* variable, which win), formats the data
# volume on first start, and runs the broker as PID 1 (it stops cleanly on SIGTERM).
set -euo pipefail
config=/etc/kafka/server.properties
classpath='/opt/kafka/libs/*'
{
  cat <<'DEFAULTS'
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=/var/lib/kafka/data
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
DEFAULTS
  # the JVM's own variables are options, not properties
  while IFS='=' read -r name value; do
    case $name in KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS) continue ;; esac
    key=${name#KAFKA_}
    key=${key//___/-}
    key=${key//__/@}
    key=${key//_/.}
    key=${key//@/_}
    printf '%s=%s\n' "${key,,}" "$value"
  done < <(env | grep '^KAFKA_' || true)
} >"$config"

data=$(sed -n 's/^log\.dirs=//p' "$config" | tail -n 1)
if [[ ! -f $data/meta.properties ]]; then
  java -cp "$classpath" kafka.tools.StorageTool format -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$config"
fi
# shellcheck disable=SC2086 # the options are words
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -cp "$classpath" kafka.Kafka "$config"
