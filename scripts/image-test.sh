# Sourced by `scripts/image.sh test` (its podman, image, say and fail): the image against the test
# services, configured from the environment only (no file), as README "Packaging" runs it.
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
cleanup_image_test() {
  "${podman[@]}" rm -f -t 0 mm-image-monitor mm-image-tail >/dev/null 2>&1 || true
  "${podman[@]}" volume rm -f "$volume" >/dev/null 2>&1 || true
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
size=$("${podman[@]}" image inspect "$image" --format '{{.Size}}' | awk '{ printf "%.1f MB", $1 / 1e6 }')
say "ok ($image, $size)"
