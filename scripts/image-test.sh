# Sourced by `scripts/image.sh test` (its podman, image, say and fail): the image against the test
# services, configured from the environment only (no file), as README "Packaging" runs it; then in
# the Python monitor's compose layout (config.cfg and data/ at /usr/src/app, nothing else given).
# shellcheck disable=SC1090
source <(scripts/services.sh env)
"${podman[@]}" image exists "$image" || fail "no image $image: run scripts/image.sh build first"
sql() { mariadb -h "$MM_MYSQL_HOST" -P "$MM_MYSQL_PORT" -u "$MM_MYSQL_ADMIN_USER" -p"$MM_MYSQL_ADMIN_PASSWORD" -N -B "$@"; }
db=mm_image_$$
exchange=mm-image-$$
volume=mm-image-state-$$
config=(-e MYSQL_MONITOR_MYSQL_HOST="$MM_MYSQL_HOST" -e MYSQL_MONITOR_MYSQL_PORT="$MM_MYSQL_PORT"
  -e MYSQL_MONITOR_MYSQL_USER="$MM_MYSQL_USER" -e MYSQL_MONITOR_MYSQL_PASSWORD="$MM_MYSQL_PASSWORD"
  -e MYSQL_MONITOR_MYSQL_DATABASE="$db" -e MYSQL_MONITOR_MYSQL_SERVER_ID=$((43000 + $$ % 1000))
  -e MYSQL_MONITOR_AMQP_HOST="$MM_AMQP_HOST" -e MYSQL_MONITOR_AMQP_PORT="$MM_AMQP_PORT"
  -e MYSQL_MONITOR_AMQP_USER="$MM_AMQP_USER" -e MYSQL_MONITOR_AMQP_PASSWORD="$MM_AMQP_PASSWORD"
  -e MYSQL_MONITOR_AMQP_EXCHANGE="$exchange")  # metrics: the image's 0.0.0.0:9650, which HEALTHCHECK asks
origin_app=$(mktemp -d /var/tmp/mm-image-origin.XXXXXX)
cleanup_image_test() {
  "${podman[@]}" rm -f -t 0 mm-image-monitor mm-image-tail mm-image-origin >/dev/null 2>&1 || true
  "${podman[@]}" volume rm -f "$volume" >/dev/null 2>&1 || true
  rm -rf "$origin_app"
  sql -e "DROP DATABASE IF EXISTS $db" || true
}
trap cleanup_image_test EXIT
sql -e "CREATE DATABASE $db; CREATE TABLE $db.t (id INT PRIMARY KEY, name VARCHAR(20))"
"${podman[@]}" volume create "$volume" >/dev/null

# A consumer of `count` messages: the same image's `tail`, through a private queue.
start_tail() {
  "${podman[@]}" rm -f -t 0 mm-image-tail >/dev/null 2>&1 || true
  "${podman[@]}" run -d --name mm-image-tail --network=host "${config[@]}" "$image" tail --count "$1" --compact >/dev/null
  sleep 2  # its queue bound before the changes
}
start_monitor() {
  "${podman[@]}" run -d --name mm-image-monitor --network=host -v "$volume:/var/lib/mysql-monitor" "${config[@]}" "$image" >/dev/null
  for _ in $(seq 1 60); do
    "${podman[@]}" logs mm-image-monitor 2>&1 | grep -q 'streaming binlog' && return
    sleep 0.5
  done
  "${podman[@]}" logs mm-image-monitor >&2
  fail "the monitor in the image did not start streaming"
}
tail_output() {
  timeout 30 "${podman[@]}" wait mm-image-tail >/dev/null || fail "tail got fewer messages than expected"
  "${podman[@]}" logs mm-image-tail 2>/dev/null | grep '^{'
}

say "run: configuration from the environment only, state on the volume $volume"
start_monitor  # it declares the exchange the tail binds to
start_tail 3
sql -e "INSERT INTO $db.t VALUES (1, 'a'), (2, 'b'); UPDATE $db.t SET name = 'c' WHERE id = 2"
messages=$(tail_output)
[[ $(grep -c '"type":"row_insert"' <<<"$messages") == 2 && $(grep -c '"type":"row_update"' <<<"$messages") == 1 ]] ||
  { echo "$messages" >&2; fail "expected 2 row_insert and 1 row_update"; }
say "3 messages arrived: $(grep -o '"type":"[a-z_]*"' <<<"$messages" | tr '\n' ' ')"

uid=$("${podman[@]}" exec mm-image-monitor stat -c %u /proc/1)
[[ $uid == 10001 ]] || fail "the daemon runs as uid $uid, not mysql-monitor (10001)"
say "the daemon runs as mysql-monitor (uid 10001), the volume's owner"

health=$("${podman[@]}" healthcheck run mm-image-monitor 2>&1) || fail "HEALTHCHECK failed: $health"
say "HEALTHCHECK: healthy"

say "podman stop -t 20"
"${podman[@]}" stop -t 20 mm-image-monitor >/dev/null
code=$("${podman[@]}" inspect mm-image-monitor --format '{{.State.ExitCode}}')
[[ $code == 0 ]] || { "${podman[@]}" logs mm-image-monitor >&2; fail "the monitor exited $code at stop"; }
"${podman[@]}" logs mm-image-monitor 2>&1 | grep -q 'stopped cleanly' || fail "no 'stopped cleanly' in the log"
"${podman[@]}" rm mm-image-monitor >/dev/null

say "restart with the volume kept: nothing sent again, the next change comes"
start_tail 1
start_monitor
sleep 2
sql -e "INSERT INTO $db.t VALUES (3, 'd')"
first=$(tail_output)
grep -q '"values":{"id":3,"name":"d"}' <<<"$first" || { echo "$first" >&2; fail "the first message after the restart is not the new row"; }
"${podman[@]}" stop -t 20 mm-image-monitor >/dev/null

# The Python monitor's compose layout (issue 20): its directory, owned by a host user, mounted at
# /usr/src/app with its config.cfg (its syntax and keys only) and data/state.json; the container is
# given nothing else, as the origin's compose file gives it when only its image name changes.
say "the Python monitor's layout: config.cfg and data/state.json at /usr/src/app, nothing else"
mkdir -p "$origin_app/data"
cat >"$origin_app/config.cfg" <<CFG
[monitor]
log_level = info
; as the Python monitor's setup.sh wrote it
delay = 0

[mysql]
database = $db
user = $MM_MYSQL_USER
password = $MM_MYSQL_PASSWORD
host = $MM_MYSQL_HOST
port = $MM_MYSQL_PORT
server_id = $((44000 + $$ % 1000))

[amqp]
user = $MM_AMQP_USER
password = $MM_AMQP_PASSWORD
host = $MM_AMQP_HOST
port = $MM_AMQP_PORT
ssl = false
vhost = /
exchange = $exchange-origin
exchange_type = fanout
routing_key = monitor
CFG
read -r file position < <(sql -e "SHOW MASTER STATUS" | awk '{print $1, $2}')
printf '{"binlog_file": "%s", "binlog_position": %s}' "$file" "$position" >"$origin_app/data/state.json"
chown -R 1000:1000 "$origin_app"
# Written after the origin stopped and before the image starts: the cut-over publishes it.
sql -e "INSERT INTO $db.t VALUES (10, 'between')"
origin_run() {  # origin_run NAME [COMMAND...]: the container with the directory and nothing else
  "${podman[@]}" run -d --name "$1" --network=host -v "$origin_app:/usr/src/app" "$image" "${@:2}" >/dev/null
}
"${podman[@]}" rm -f -t 0 mm-image-tail >/dev/null 2>&1 || true
origin_run mm-image-tail tail --count 2 --compact
sleep 2
origin_run mm-image-origin
for _ in $(seq 1 60); do
  "${podman[@]}" logs mm-image-origin 2>&1 | grep -q 'streaming binlog' && break
  sleep 0.5
done
"${podman[@]}" logs mm-image-origin 2>&1 | grep -q "continuing after the Python monitor's position $file:$position" ||
  { "${podman[@]}" logs mm-image-origin >&2; fail "the monitor did not continue from data/state.json"; }
sql -e "INSERT INTO $db.t VALUES (11, 'after')"
messages=$(tail_output)
for id in 10 11; do
  grep -q "\"type\": *\"row_insert\".*\"values\": *{[^}]*\"id\": *$id" <<<"$messages" ||
    { echo "$messages" >&2; fail "no row_insert of id $id"; }
done
! grep -q '"database"' <<<"$messages" || { echo "$messages" >&2; fail "not the Python monitor's messages (a database field)"; }
say "both rows arrived in the Python monitor's format: $(grep -o '"type": *"[a-z_]*"' <<<"$messages" | tr '\n' ' ')"
# `exec ... mysql-monitor status` takes the same layout (the entrypoint is first on PATH).
status=$("${podman[@]}" exec mm-image-origin mysql-monitor status 2>&1) || true
grep -q 'data/position' <<<"$status" || { echo "$status" >&2; fail "status in the container does not read data/"; }
uid=$("${podman[@]}" exec mm-image-origin stat -c %u /proc/1)
[[ $uid == 1000 ]] || fail "the daemon runs as uid $uid, not 1000 (the owner of data/)"
"${podman[@]}" stop -t 20 mm-image-origin >/dev/null
code=$("${podman[@]}" inspect mm-image-origin --format '{{.State.ExitCode}}')
[[ $code == 0 ]] || { "${podman[@]}" logs mm-image-origin >&2; fail "the monitor exited $code at stop"; }
[[ $(stat -c %u "$origin_app/data/position") == 1000 ]] || fail "no data/position of the host user"
grep -q "binlog_position\": $position}" "$origin_app/data/state.json" || fail "data/state.json was changed"
"${podman[@]}" rm mm-image-origin >/dev/null
say "its state in data/position, written as the host user (uid 1000); state.json untouched"

size=$("${podman[@]}" image inspect "$image" --format '{{.Size}}' | awk '{ printf "%.1f MB", $1 / 1e6 }')
say "ok ($image, $size)"
