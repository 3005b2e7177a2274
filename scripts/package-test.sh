#!/usr/bin/env bash
# Builds the Debian package (cmake/Package.cmake) and tests it as a user installs it (issue 21):
#   1. a Release build with prefix /usr, `cpack -G DEB`;
#   2. lintian: every tag it reports must be one packaging/debian/lintian-expected explains;
#   3. a Debian 12 root from `debootstrap --variant=minbase` (made once, from the apt mirror the
#      machine already uses, kept in MM_DEBROOT_BASE), copied, and in it: `apt-get install` of the
#      .deb (its dependencies from the mirror), `mysql-monitor --version`, the user, state directory
#      and configuration postinst made, `mysql-monitor check` against the test services
#      (scripts/services.sh, on 127.0.0.1, which the root shares), and `dpkg --purge`;
#   4. `systemd-analyze verify` of the installed unit (by the host's systemd: the root has none).
#   scripts/package-test.sh          (as root; the services started: scripts/services.sh start)
#   MM_PACKAGE_BUILD_DIR=dir         build directory (default build-deb)
#   MM_DEBROOT_BASE=dir              the debootstrapped root kept between runs (/var/tmp/mm-debroot-base)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { echo "== package-test: $*"; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "run as root (debootstrap and chroot)"

scripts/install-deps.sh --package
build=${MM_PACKAGE_BUILD_DIR:-build-deb}
say "building the package in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DMM_BUILD_TESTS=OFF -DMM_BUILD_BENCH=OFF -DMM_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target mysql-monitor
rm -f "$build"/mysql-monitor_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/mysql-monitor_*.deb)
say "built $deb ($(du -k "$deb" | cut -f1) KiB); $(dpkg-deb -f "$deb" Depends)"

say "lintian"
lintian --tag-display-limit 0 "$deb" >"$build/lintian.txt" 2>&1 || true
expected=$(awk '!/^#/ && NF { print $1 }' packaging/debian/lintian-expected)
unexplained=0
while read -r level tag _; do
  [[ -n $tag ]] || continue
  if ! grep -qx "$tag" <<<"$expected"; then
    echo "package-test: lintian $level $tag is not explained in packaging/debian/lintian-expected" >&2
    unexplained=1
  fi
done < <(sed -n 's/^\([EWI]\): mysql-monitor[^:]*: \([a-z0-9-]*\).*/\1 \2/p' "$build/lintian.txt")
cat "$build/lintian.txt"
((unexplained == 0)) || fail "lintian reported tags nobody explained"

# shellcheck source=scripts/lib/debroot.sh
source scripts/lib/debroot.sh
ensure_debroot_base || fail "debootstrap failed"
base=$debroot_base
chroot_dir=$(mktemp -d /var/tmp/mm-debroot.XXXXXX)
cleanup() { umount "$chroot_dir/proc" 2>/dev/null || true; rm -rf "$chroot_dir"; }
trap cleanup EXIT
cp -a "$base/." "$chroot_dir/"
mount -t proc proc "$chroot_dir/proc"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
cp "$deb" "$chroot_dir/tmp/"
in_root() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

say "apt-get install ./$(basename "$deb") in a fresh Debian 12 root"
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >"$build/apt.log" 2>&1 ||
  { tail -n 20 "$build/apt.log" >&2; fail "apt-get install of the package failed"; }
version=$(in_root mysql-monitor --version) || fail "mysql-monitor --version failed in the root"
say "installed: $version"
in_root getent passwd mysql-monitor >/dev/null || fail "postinst made no user mysql-monitor"
[[ $(in_root stat -c '%U:%G %a' /var/lib/mysql-monitor) == "mysql-monitor:mysql-monitor 750" ]] ||
  fail "/var/lib/mysql-monitor is $(in_root stat -c '%U:%G %a' /var/lib/mysql-monitor)"
[[ $(in_root stat -c '%U:%G %a' /etc/mysql-monitor/mysql-monitor.cfg) == "root:mysql-monitor 640" ]] ||
  fail "/etc/mysql-monitor/mysql-monitor.cfg is $(in_root stat -c '%U:%G %a' /etc/mysql-monitor/mysql-monitor.cfg)"

say "mysql-monitor check against the test services, with the installed configuration"
# shellcheck disable=SC1090
source <(scripts/services.sh env)
check_env=(MYSQL_MONITOR_MYSQL_HOST="$MM_MYSQL_HOST" MYSQL_MONITOR_MYSQL_PORT="$MM_MYSQL_PORT"
  MYSQL_MONITOR_MYSQL_USER="$MM_MYSQL_USER" MYSQL_MONITOR_MYSQL_PASSWORD="$MM_MYSQL_PASSWORD"
  MYSQL_MONITOR_AMQP_HOST="$MM_AMQP_HOST" MYSQL_MONITOR_AMQP_PORT="$MM_AMQP_PORT"
  MYSQL_MONITOR_AMQP_USER="$MM_AMQP_USER" MYSQL_MONITOR_AMQP_PASSWORD="$MM_AMQP_PASSWORD"
  MYSQL_MONITOR_MONITOR_STATE_PATH=/var/lib/mysql-monitor)
in_root "${check_env[@]}" mysql-monitor check --config /etc/mysql-monitor/mysql-monitor.cfg ||
  fail "mysql-monitor check failed in the root"

say "systemd-analyze verify of the installed unit"
unit=$chroot_dir/usr/lib/systemd/system/mysql-monitor.service
[[ -f $unit ]] || fail "no unit at /usr/lib/systemd/system/mysql-monitor.service"
grep -q '^ExecStart=/usr/bin/mysql-monitor ' "$unit" || fail "the unit does not start /usr/bin/mysql-monitor"
# The minimal root has no systemd to verify against: the host's verifies the installed unit,
# copied with its binary's path pointed into the root. verify exits 0 even for unknown keys and
# bad values, so any output is a finding (as in tests/packaging/install_test.sh).
mkdir -p "$chroot_dir/tmp/unit"
sed "s#/usr/bin/mysql-monitor#$chroot_dir/usr/bin/mysql-monitor#g" "$unit" >"$chroot_dir/tmp/unit/mysql-monitor.service"
findings=$(systemd-analyze verify "$chroot_dir/tmp/unit/mysql-monitor.service" 2>&1 || true)
[[ -z $findings ]] || fail "systemd-analyze verify: $findings"

say "dpkg --purge"
in_root dpkg --purge mysql-monitor >/dev/null
[[ ! -e $chroot_dir/etc/mysql-monitor/mysql-monitor.cfg && ! -e $chroot_dir/usr/bin/mysql-monitor ]] ||
  fail "purge left the configuration or the binary"
say "ok"
