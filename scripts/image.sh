#!/usr/bin/env bash
# The container image (packaging/docker/Dockerfile), built and run here with podman, no daemon and
# no registry (issue 21; README "Packaging"):
#   scripts/image.sh build   base images debian:bookworm and debian:bookworm-slim from
#                            `debootstrap --variant=minbase` (once; the slim one without docs, man
#                            pages and locales, and dpkg told to leave them out as Debian's slim
#                            image does), then the image mysql-monitor:local; prints its size
#   scripts/image.sh test    runs it against the test services (scripts/services.sh start) with
#                            configuration from the environment only: changes arrive as messages,
#                            `stop -t 20` exits 0 with "stopped cleanly", a restart with the state
#                            volume kept re-sends nothing; HEALTHCHECK answers; then the Python
#                            monitor's compose layout (issue 20)
#   scripts/image.sh compose-test
#                            the compose demo (packaging/docker/docker-compose.yaml) with
#                            podman-compose, its database and broker built here from Debian
#                            (docker-compose.local.yaml): a row inserted reaches the subscriber's
#                            copy, an update and a delete follow; needs `build` first
# As root. podman's default runtime (crun) cannot run here (setrlimit, cgroups in hybrid mode):
# runc, with a containers.conf that sets no default ulimits; --network=host lets the build reach
# the apt mirror and the container reach the services on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { echo "== image: $*"; }
fail() { echo "image: FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "run as root"
scripts/install-deps.sh --image
conf_dir=${MM_IMAGE_CONF_DIR:-/var/tmp/mm-podman}
mkdir -p "$conf_dir"
# runc as the engine's runtime too: podman-compose calls plain podman.
printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$conf_dir/containers.conf"
export CONTAINERS_CONF="$conf_dir/containers.conf"
podman=(podman --runtime runc)
image=${MM_IMAGE:-mysql-monitor:local}

base_images() {
  # shellcheck source=scripts/lib/debroot.sh
  source scripts/lib/debroot.sh
  ensure_debroot_base || fail "debootstrap failed"
  local base=$debroot_base
  local common=(--exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*_*')
  tar -C "$base" "${common[@]}" -c . | "${podman[@]}" import - debian:bookworm >/dev/null
  local extra
  extra=$(mktemp -d)
  mkdir -p "$extra/etc/dpkg/dpkg.cfg.d"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/info/*' \
    >"$extra/etc/dpkg/dpkg.cfg.d/slim"
  tar -C "$base" "${common[@]}" --exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' \
    --exclude='./usr/share/locale/*' --exclude='./usr/share/info/*' --exclude='./usr/share/i18n/*' \
    -c . -C "$extra" ./etc/dpkg/dpkg.cfg.d/slim | "${podman[@]}" import - debian:bookworm-slim >/dev/null
  rm -rf "$extra"
  say "base images: $("${podman[@]}" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep debian | tr '\n' ' ')"
}

build() {
  base_images
  say "building $image (the build stage compiles the daemon: minutes on 2 cores)"
  "${podman[@]}" build --format docker --network=host -f packaging/docker/Dockerfile -t "$image" . >"${MM_IMAGE_LOG:-/var/tmp/mm-image-build.log}" 2>&1 ||
    { tail -n 30 "${MM_IMAGE_LOG:-/var/tmp/mm-image-build.log}" >&2; fail "podman build failed"; }
  say "built $image: $("${podman[@]}" image inspect "$image" --format '{{.Size}}' | awk '{ printf "%.1f MB", $1 / 1e6 }') (goal: under 120 MB)"
}

case ${1:-} in
  build) build ;;
  test) source scripts/image-test.sh ;;
  compose-test) source scripts/image-compose-test.sh ;;
  *) echo "usage: scripts/image.sh build|test|compose-test" >&2; exit 2 ;;
esac
