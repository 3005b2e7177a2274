# Sourced by `scripts/image.sh compose-test` (its podman, image, say and fail): the compose demo,
# packaging/docker/docker-compose.yaml, brought up with podman-compose as README "Packaging" runs
# it, with docker-compose.local.yaml for the database and broker (no registry is reachable here:
# they are built from Debian's MariaDB and RabbitMQ). The monitor is the image `build` made and the
# subscriber is the Dockerfile's example-consumer stage. Checked end to end: a row inserted into
# demo.employee, then updated, then a second one deleted, leave demo.employee_copy equal to it;
# the monitor's metrics answer on the published port.
"${podman[@]}" image exists "$image" || fail "no image $image: run scripts/image.sh build first"
project=mm-demo-test
compose=(podman-compose -p "$project" -f packaging/docker/docker-compose.yaml
  -f packaging/docker/docker-compose.local.yaml)
cleanup_compose_test() { "${compose[@]}" down -v >/dev/null 2>&1 || true; }
trap cleanup_compose_test EXIT
cleanup_compose_test

# Built here with --network=host (the build stages reach the apt mirror only so); `up` then builds
# nothing. The monitor's image is the one `build` made, under the demo's name.
build_demo_image() {
  "${podman[@]}" build --format docker --network=host "$@" . >>"${MM_IMAGE_LOG:-/var/tmp/mm-image-build.log}" 2>&1 ||
    { tail -n 30 "${MM_IMAGE_LOG:-/var/tmp/mm-image-build.log}" >&2; fail "podman build $* failed"; }
}
say "building the demo's database, broker and subscriber images"
build_demo_image -f packaging/docker/local/mariadb.Dockerfile -t mysql-monitor-demo-mariadb:local
build_demo_image -f packaging/docker/local/rabbitmq.Dockerfile -t mysql-monitor-demo-rabbitmq:local
build_demo_image -f packaging/docker/Dockerfile --target example-consumer -t mysql-monitor-example-consumer:latest
"${podman[@]}" tag "$image" mysql-monitor:latest

say "podman-compose up"
"${compose[@]}" up -d --no-build >/var/tmp/mm-compose-up.log 2>&1 ||
  { tail -n 30 /var/tmp/mm-compose-up.log >&2; fail "podman-compose up failed"; }
in_mysql() { "${podman[@]}" exec "${project}_mysql_1" mysql -uroot -pdemo-root demo -N -B -e "$1"; }
wait_for() {  # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq 1 $((seconds * 2))); do
    "$@" >/dev/null 2>&1 && return
    sleep 0.5
  done
  "${compose[@]}" logs >&2 2>&1 || true
  fail "$what: not within ${seconds}s"
}
monitor_streams() { "${podman[@]}" logs "${project}_monitor_1" 2>&1 | grep -q 'streaming binlog'; }
subscriber_listens() { "${podman[@]}" logs "${project}_subscriber_1" 2>&1 | grep -q 'table_copy: consuming'; }
wait_for "the monitor streaming" 180 monitor_streams
wait_for "the subscriber consuming" 60 subscriber_listens
sleep 2

copy_is() { [[ $(in_mysql "SELECT id, fname, salary FROM employee_copy ORDER BY id" | tr '\t\n' ',;') == "$1" ]]; }
in_mysql "INSERT INTO employee VALUES (1, 'Ada', 'Lovelace', 1000.00, '1843-07-01')"
wait_for "the inserted row in employee_copy" 60 copy_is "1,Ada,1000.00;"
say "the insert reached demo.employee_copy"
in_mysql "INSERT INTO employee VALUES (2, 'Alan', 'Turing', 900.00, '1936-05-28');
  UPDATE employee SET salary = 1200.00 WHERE id = 1; DELETE FROM employee WHERE id = 2"
wait_for "the update and the delete in employee_copy" 60 copy_is "1,Ada,1200.00;"
[[ $(in_mysql "SELECT COUNT(*) FROM employee") == 1 ]] || fail "demo.employee has not one row"
say "an update and a delete followed: the copy equals demo.employee"

metrics=$(curl -fsS http://127.0.0.1:9650/metrics) || fail "no metrics on the published port 9650"
grep -q '^mysql_monitor_' <<<"$metrics" || fail "the metrics hold no mysql_monitor_ series"
say "metrics on 127.0.0.1:9650"
say "ok (the compose demo, with the database and broker of docker-compose.local.yaml)"
