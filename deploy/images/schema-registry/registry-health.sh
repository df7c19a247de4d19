#!/bin/bash
# Healthy when the Confluent API answers 200 (the image has no curl: bash's /dev/tcp speaks the HTTP/1.0).
exec 3<>"/dev/tcp/127.0.0.1/${QUARKUS_HTTP_PORT:-8080}" || exit 1
printf 'GET /apis/ccompat/v7/subjects HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 4 _ status _ <&3
[[ $status == 200 ]]
