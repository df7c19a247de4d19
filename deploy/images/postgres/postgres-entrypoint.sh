#!/bin/bash
# First start: initdb with the public image's variables; every start: the server in the foreground as PID 1
# (SIGINT, the image's stop signal, is Postgres's fast shutdown).
set -euo pipefail
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  user=${POSTGRES_USER:-postgres}
  args=(-D "$PGDATA" -U "$user" -E UTF8 --locale=C.UTF-8 --auth-local=trust)
  if [[ -n ${POSTGRES_PASSWORD:-} ]]; then
    auth=scram-sha-256
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    args+=(--pwfile="$pwfile")
  elif [[ ${POSTGRES_HOST_AUTH_METHOD:-} == trust ]]; then
    auth=trust
  else
    echo "postgres: set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust, for development only)" >&2
    exit 1
  fi
  initdb "${args[@]}" --auth-host="$auth" >/dev/null
  rm -f "${pwfile:-}"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  # initdb's host lines cover loopback only; other containers come from the network's addresses
  echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
  db=${POSTGRES_DB:-$user}
  if [[ $db != postgres ]]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\"" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres: initialised $PGDATA (user $user, database $db, host auth $auth)"
fi
exec postgres -D "$PGDATA"
