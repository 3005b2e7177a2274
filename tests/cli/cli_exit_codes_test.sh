#!/usr/bin/env bash
# The mysql-monitor executable's exit codes and messages, without servers: --version and --help
# (0), usage errors and every configuration error path (2, with a message naming the problem),
# unreachable servers (1), and [monitor] delay_start (waits, SIGHUP during the wait is logged and
# survived, and SIGTERM during the wait exits 0).
#   cli_exit_codes_test.sh MYSQL_MONITOR VERSION
set -uo pipefail
monitor=$1
version=$2
# The caller's MYSQL_MONITOR_* variables would change the configurations below.
unset "${!MYSQL_MONITOR_@}"
source "$(dirname "$0")/../support/shell_checks.sh"
run() {  # run NAME ARGS...: stdout, stderr and exit code into $work/NAME.{out,err,rc}
  local name=$1
  shift
  # A hang (a FIFO read as a file) fails the test instead of blocking it: timeout exits 124.
  timeout 20 "$monitor" "$@" >"$work/$name.out" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
}
never_says() { ! grep -qF -- "$2" "$work/$1.err" && ! grep -qF -- "$2" "$work/$1.out"; }
rc() { [[ $(cat "$work/$1.rc") == "$2" ]]; }
says() { grep -qF -- "$2" "$work/$1.err" || grep -qF -- "$2" "$work/$1.out"; }
expect() {  # expect NAME EXIT_CODE TEXT: exit code and a line of output
  check "$1 exits $2" rc "$1" "$2"
  check "$1 says: $3" says "$1" "$3"
  if ! rc "$1" "$2" || ! says "$1" "$3"; then
    sed 's/^/    /' "$work/$1.out" "$work/$1.err"
  fi
}

# Servers nobody listens on (port 1 refuses at once); no metrics server (its port may be taken).
cat >"$work/unreachable.cfg" <<CFG
[metrics]
listen = off
[monitor]
state_path = $work/state
[mysql]
host = 127.0.0.1
port = 1
[amqp]
host = 127.0.0.1
port = 1
CFG

run version --version
expect version 0 "mysql-monitor $version"
run help --help
expect help 0 "Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error."
for command in run check status tail decode; do
  run "help-$command" "$command" --help
  expect "help-$command" 0 "mysql-monitor $command"
done

run bogus --bogus
expect bogus 2 "The following argument was not expected: --bogus"
run decode-nothing decode
expect decode-nothing 2 "files is required"
run tail-count tail --config "$work/unreachable.cfg" --count -1
expect tail-count 2 "--count"
run log-level --log-level loud --check-config
expect log-level 2 "--log-level: loud not in {debug,info,warning,warn,error}"
run missing-config --config "$work/nonexistent.cfg"
expect missing-config 2 "File does not exist: $work/nonexistent.cfg"

printf '[mysql]\nhost = db\nprot = 3307\n' >"$work/typo.cfg"
run unknown-key --config "$work/typo.cfg" --check-config
expect unknown-key 2 "configuration error: $work/typo.cfg:3: unknown key 'prot' in [mysql]; did you mean 'port'?"
printf '[amqp]\nssl = maybe\n' >"$work/bad-value.cfg"
run bad-value --config "$work/bad-value.cfg" --check-config
expect bad-value 2 "$work/bad-value.cfg:2: [amqp] ssl: 'maybe' is not a boolean (allowed: true, false"
printf '[mysql]\npassword_file = %s/no-such-secret\n' "$work" >"$work/secret.cfg"
run unreadable-password --config "$work/secret.cfg" --check-config
expect unreadable-password 2 "$work/secret.cfg:2: [mysql] password_file: cannot read $work/no-such-secret: No such file or directory"
echo secret >"$work/secret"
printf '[amqp]\npassword = a\npassword_file = %s/secret\n' "$work" >"$work/both.cfg"
run both-passwords --config "$work/both.cfg" --check-config
expect both-passwords 2 "[amqp] password ($work/both.cfg:2) and password_file ($work/both.cfg:3) are both set: keep one"
run set-syntax --set mysql.port --check-config
expect set-syntax 2 "--set 'mysql.port': expected section.key=value"
run set-unknown status --set amqp.exchang=x
expect set-unknown 2 "--set amqp.exchang: unknown key 'exchang' in [amqp]; did you mean 'exchange'?"
MYSQL_MONITOR_MYSQL_PORT=70000 run env-value --check-config
expect env-value 2 "environment MYSQL_MONITOR_MYSQL_PORT: [mysql] port: 70000 is outside 1..65535"
run routing-key --set 'amqp.routing_key={db}' --check-config
expect routing-key 2 "[amqp] routing_key"
# Issue 16, items 6-8: secrets, bounded input, unreadable paths.
run set-password --set mysql.password=hunter2 --check-config
expect set-password 2 "--set mysql.password: a secret is not accepted on the command line"
check "set-password: names the variable to use" says set-password "MYSQL_MONITOR_MYSQL_PASSWORD"
check "set-password: does not repeat the password" never_says set-password hunter2
printf '[mysql]\nhost = db\npassword hunter2:x\n' >"$work/no-equals.cfg"
run no-equals --config "$work/no-equals.cfg" --check-config
expect no-equals 2 "$work/no-equals.cfg:3: expected 'key = value', a [section] or a comment"
check "no-equals: does not repeat the line" never_says no-equals hunter2
printf '\xEF\xBB\xBF[mysql]\nport = 3307\nport = 3308\n' >"$work/twice.cfg"
run key-twice --config "$work/twice.cfg" --check-config
expect key-twice 2 "$work/twice.cfg:3: [mysql] port is set again (first at $work/twice.cfg:2): keep one"
run huge-duration --set monitor.delay=1152921504606846977h --check-config
expect huge-duration 2 "--set monitor.delay: [monitor] delay: 1152921504606846977h is outside 0..86400 seconds"
mkfifo "$work/fifo"
printf '[amqp]\npassword_file = %s/fifo\n' "$work" >"$work/fifo.cfg"
run fifo-password --config "$work/fifo.cfg" --check-config
expect fifo-password 2 "$work/fifo.cfg:2: [amqp] password_file: cannot read $work/fifo: a FIFO, not a regular file"
printf '[mysql]\npassword_file = /dev/zero\n' >"$work/zero.cfg"
run zero-password --config "$work/zero.cfg" --check-config
expect zero-password 2 "[mysql] password_file: cannot read /dev/zero: a character device, not a regular file"
echo secret >"$work/open-secret"
chmod 644 "$work/open-secret"
printf '[mysql]\npassword_file = %s/open-secret\n' "$work" >"$work/open-secret.cfg"
run open-secret --config "$work/open-secret.cfg" --check-config
expect open-secret 0 "warning: $work/open-secret.cfg:2: [mysql] password_file $work/open-secret is readable by its group or by others (mode 0644)"
# Root enters any directory: a symlink loop makes a state_path no one can use (it aborted, 134).
ln -s loop "$work/loop"
run state-loop --config "$work/unreachable.cfg" --set "monitor.state_path=$work/loop/state"
expect state-loop 1 "[monitor] state_path: cannot create directory $work/loop/state: Too many levels of symbolic links"
run status-state-loop status --config "$work/unreachable.cfg" --set "monitor.state_path=$work/loop/state"
expect status-state-loop 1 "Too many levels of symbolic links"

run valid --config "$work/unreachable.cfg" --set monitor.log_format=json --check-config
expect valid 0 "configuration OK"

run run-unreachable --config "$work/unreachable.cfg"
expect run-unreachable 1 "127.0.0.1:1"
run check-unreachable check --config "$work/unreachable.cfg"
expect check-unreachable 1 "fail"
run status-unreachable status --config "$work/unreachable.cfg"
expect status-unreachable 1 "127.0.0.1:1"
run tail-unreachable tail --config "$work/unreachable.cfg"
expect tail-unreachable 1 "AMQP broker 127.0.0.1:1"

# delay_start: the daemon waits before connecting (without the wait it would fail at once on the
# unreachable server), and SIGTERM during the wait ends it with exit 0.
"$monitor" --config "$work/unreachable.cfg" --set monitor.delay_start=30 >"$work/delay.out" 2>&1 &
pid=$!
sleep 1
check "delay_start: still waiting after 1 s" kill -0 "$pid"
# SIGHUP (a terminal hang-up, log rotation) is logged and survived; it used to end it with 129.
kill -HUP "$pid"
sleep 0.3
check "SIGHUP: still running" kill -0 "$pid"
started=$SECONDS
kill -TERM "$pid"
wait "$pid"
echo $? >"$work/delay.rc"
check "delay_start: SIGTERM during the wait exits 0" rc delay 0
check "delay_start: stopped at once" test $((SECONDS - started)) -le 3
check "delay_start: logged the wait" grep -qF "waiting 30 s before connecting ([monitor] delay_start)" "$work/delay.out"
check "SIGHUP: logged as ignored" grep -qF "received Hangup: ignored (mysql-monitor re-reads nothing on SIGHUP" "$work/delay.out"

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
