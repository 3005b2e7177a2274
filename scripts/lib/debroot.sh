# Sourced by scripts/package-test.sh and scripts/image.sh: a Debian 12 root from
# `debootstrap --variant=minbase bookworm`, made once from the apt mirror this machine already uses
# and kept (MM_DEBROOT_BASE, default /var/tmp/mm-debroot-base) for the next run.
debroot_base=${MM_DEBROOT_BASE:-/var/tmp/mm-debroot-base}
ensure_debroot_base() {
  [[ -x $debroot_base/usr/bin/apt-get ]] && return
  local mirror
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  echo "== debootstrap --variant=minbase bookworm $debroot_base (once)"
  rm -rf "$debroot_base"
  debootstrap --variant=minbase bookworm "$debroot_base" "${mirror:-http://deb.debian.org/debian}" \
    >"$debroot_base.log" 2>&1 || { tail -n 20 "$debroot_base.log" >&2; return 1; }
}
