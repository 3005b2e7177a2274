#!/usr/bin/env bash
# `cmake --install BUILD --prefix TMP` lays out what cmake/Install.cmake promises, and what it
# installs works: the binary runs, the example configuration validates, the systemd unit points
# at the installed binary and passes `systemd-analyze verify` (where systemd is installed), and
# the unit's environment is configuration the daemon accepts.
#   tests/packaging/install_test.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: install_test.sh BUILD_DIR}
work=$(mktemp -d /tmp/mm-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log" >&2; fail "cmake --install failed"; }

doc=$prefix/share/doc/mysql-monitor
unit=$prefix/lib/systemd/system/mysql-monitor.service
for file in bin/mysql-monitor share/doc/mysql-monitor/README.md share/doc/mysql-monitor/config-example.cfg \
    share/doc/mysql-monitor/message.schema.json share/doc/mysql-monitor/delivery.md \
    share/doc/mysql-monitor/examples/python/table_copy.py share/doc/mysql-monitor/examples/cpp/table_copy.cpp \
    lib/systemd/system/mysql-monitor.service lib/sysusers.d/mysql-monitor.conf; do
  [[ -f $prefix/$file ]] || fail "$file not installed"
done
[[ -x $prefix/bin/mysql-monitor ]] || fail "bin/mysql-monitor is not executable"
[[ -x $doc/examples/python/table_copy.py ]] || fail "the Python example lost its executable bit"
[[ ! -e $doc/examples/CMakeLists.txt ]] || fail "examples/CMakeLists.txt installed"

version=$("$prefix/bin/mysql-monitor" --version)
[[ $version == "mysql-monitor "* ]] || fail "--version printed '$version'"
checked=$("$prefix/bin/mysql-monitor" --check-config --config "$doc/config-example.cfg" 2>&1) ||
  fail "the installed config-example.cfg does not validate: $checked"

grep -qx "ExecStart=$prefix/bin/mysql-monitor run --config /etc/mysql-monitor/mysql-monitor.cfg" "$unit" ||
  fail "ExecStart does not name the installed binary: $(grep ExecStart= "$unit")"
grep -q "/usr/local/" "$unit" && fail "the unit still names /usr/local/: $(grep -n /usr/local/ "$unit")"
grep -qx "u mysql-monitor - \"mysql-monitor daemon\" /var/lib/mysql-monitor" "$prefix/lib/sysusers.d/mysql-monitor.conf" ||
  fail "sysusers.d entry"
grep -qx "User=mysql-monitor" "$unit" || fail "the unit does not run as the mysql-monitor user"

# The unit's Environment= lines are configuration the daemon accepts (no config file needed).
mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit")
((${#unit_env[@]} > 0)) || fail "the unit sets no MYSQL_MONITOR_ variable"
checked=$(env -i "${unit_env[@]}" "$prefix/bin/mysql-monitor" --check-config 2>&1) ||
  fail "the unit's environment is refused: $checked"

if command -v systemd-analyze >/dev/null; then
  # verify exits 0 even for unknown keys and bad values: any output is a finding.
  findings=$(systemd-analyze verify "$unit" 2>&1 || true)
  [[ -z $findings ]] || fail "systemd-analyze verify: $findings"
  echo "install_test: systemd-analyze verify: clean"
else
  echo "install_test: systemd-analyze not installed; the unit's syntax is not verified"
fi
echo "install_test: ok ($(find "$prefix" -type f | wc -l) files under $prefix)"
