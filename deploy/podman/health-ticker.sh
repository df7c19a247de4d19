#!/bin/bash
# podman runs a container's HEALTHCHECK from a systemd timer. This machine kind has no systemd, so nothing would
# run them: every container would stay "starting", and docker-compose's `depends_on: condition: service_healthy`
# would wait forever. This loop is that timer, started and stopped with the engine (`tally engine up|down`):
# every 2 s it runs the check of each container still starting or unhealthy, and every 30 s of each healthy one
# (so a container that turns unhealthy is seen). The containers' own intervals are not followed.
set -u
last_healthy=0
while true; do
  now=$(date +%s)
  filters=(--filter health=starting --filter health=unhealthy)
  if ((now - last_healthy >= 30)); then
    filters+=(--filter health=healthy)
    last_healthy=$now
  fi
  for id in $(podman ps --quiet "${filters[@]}" 2>/dev/null); do
    podman healthcheck run "$id" >/dev/null 2>&1 &
  done
  wait
  sleep 2
done
