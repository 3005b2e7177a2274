#!/usr/bin/env bash
# `docker compose config` (or docker-compose) validates packaging/docker/docker-compose.yaml and
# prints it resolved; the demo's essentials must be in that output. Exits 77 (skipped) when
# neither client exists. Needs no daemon and no network: nothing is pulled or built.
#   tests/packaging/compose_config_test.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: compose_config_test.sh SOURCE_DIR}
cd "$source_dir/packaging/docker"
if docker compose version >/dev/null 2>&1; then
  client=(docker compose)
elif command -v docker-compose >/dev/null; then
  client=(docker-compose)
else
  echo "compose_config_test: SKIPPED: neither 'docker compose' nor 'docker-compose' is installed"
  exit 77
fi
resolved=$("${client[@]}" -f docker-compose.yaml config 2>&1) || {
  echo "$resolved" >&2
  echo "compose_config_test: FAIL: ${client[*]} config refused docker-compose.yaml" >&2
  exit 1
}
for expected in "image: mysql:8.0" "image: rabbitmq:3.13-management" "--binlog-format=ROW" \
    "--binlog-row-image=FULL" "--binlog-row-metadata=FULL" "--server-id=1" "--gtid-mode=ON" \
    "--enforce-gtid-consistency=ON" "--log-bin=mysql-bin" "target: runtime" "target: example-consumer" \
    "MYSQL_MONITOR_MYSQL_HOST: mysql" "MYSQL_MONITOR_AMQP_HOST: rabbitmq" "stop_grace_period: 20s" \
    "condition: service_healthy" "mysql-init.sql:/docker-entrypoint-initdb.d/mysql-init.sql:ro"; do
  grep -qF -- "$expected" <<<"$resolved" || {
    echo "$resolved" >&2
    echo "compose_config_test: FAIL: '$expected' missing from the resolved configuration" >&2
    exit 1
  }
done
for service in mysql rabbitmq monitor subscriber; do
  grep -q "^  $service:$" <<<"$resolved" || { echo "compose_config_test: FAIL: no service $service" >&2; exit 1; }
done
# With docker-compose.local.yaml (scripts/image.sh compose-test runs it so): the database and broker
# are the images built here (the database's entrypoint drops MySQL's GTID switches from the
# demo's command), and the monitor and subscriber stay the demo's.
local_resolved=$("${client[@]}" -f docker-compose.yaml -f docker-compose.local.yaml config 2>&1) || {
  echo "$local_resolved" >&2
  echo "compose_config_test: FAIL: ${client[*]} config refused docker-compose.local.yaml" >&2
  exit 1
}
for expected in "image: mysql-monitor-demo-mariadb:local" "image: mysql-monitor-demo-rabbitmq:local" \
    "--binlog-row-metadata=FULL" "target: runtime" "target: example-consumer" "MYSQL_MONITOR_MYSQL_HOST: mysql"; do
  grep -qF -- "$expected" <<<"$local_resolved" ||
    { echo "compose_config_test: FAIL: '$expected' missing with docker-compose.local.yaml" >&2; exit 1; }
done
echo "compose_config_test: ok (${client[*]} config, also with docker-compose.local.yaml; images are not pulled or built here)"
