#!/usr/bin/env bash
# Checks packaging/docker without a Docker daemon or network (neither is on CI's machine, so the
# image is not built here): the Dockerfile's build stage installs exactly what
# scripts/install-deps.sh --build-only does (it runs that script), its runtime stage installs a
# Debian package for every shared library the built binary links and runs the daemon as a
# non-root user (its entrypoint drops root) with no configuration file, every file it copies exists, and the monitor's environment in
# docker-compose.yaml and the Dockerfile is configuration the daemon accepts.
#   tests/packaging/docker_files_test.sh SOURCE_DIR MYSQL_MONITOR_BINARY
set -euo pipefail
source_dir=${1:?usage: docker_files_test.sh SOURCE_DIR BINARY}
binary=${2:?usage: docker_files_test.sh SOURCE_DIR BINARY}
dockerfile=$source_dir/packaging/docker/Dockerfile
compose=$source_dir/packaging/docker/docker-compose.yaml
fail() {
  echo "docker_files_test: FAIL: $*" >&2
  exit 1
}

# The lines of one stage ("FROM ... AS name" up to the next FROM).
stage() { awk -v name="$1" '/^FROM /{inside = ($NF == name)} inside' "$dockerfile"; }

build=$(stage build)
runtime=$(stage runtime)
[[ -n $build && -n $runtime ]] || fail "stages 'build' and 'runtime' not found"
grep -q '^FROM debian:bookworm AS build$' <<<"$build" || fail "the build stage is not debian:bookworm"
grep -q '^RUN /tmp/install-deps.sh --build-only' <<<"$build" || fail "the build stage does not run install-deps.sh --build-only"
grep -q '^FROM debian:bookworm-slim AS runtime$' <<<"$runtime" || fail "the runtime stage is not debian:bookworm-slim"
[[ $(grep '^FROM ' "$dockerfile" | tail -1) == *" AS runtime" ]] || fail "runtime must be the last (default) stage"

# Every COPY from the build context names a file of the repository.
while read -r _ from _; do
  [[ -e $source_dir/$from ]] || fail "COPY $from: no such file in the repository"
done < <(grep '^COPY ' "$dockerfile" | grep -v -- '--from=' | grep -v '^COPY \. ')

# The runtime stage's apt-get install list covers every shared library of the binary.
runtime_packages=$(sed -n '/apt-get install/,/rm -rf/p' <<<"$runtime" | tr -s ' \\&' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$')
mapfile -t libraries < <(ldd "$binary" | awk '$3 ~ /^\// {print $3}' | grep -v -e libasan -e libubsan | xargs -r readlink -f)
# dpkg knows merged-/usr paths under /lib; one dpkg -S for all (it is slow to start).
owners=$(dpkg -S "${libraries[@]}" "${libraries[@]/#\/usr\/lib\//\/lib\/}" 2>/dev/null || true)
checked=0
for library in "${libraries[@]}"; do
  package=$(awk -v a="$library" -v b="${library/#\/usr\/lib\//\/lib\/}" -F': ' '$2 == a || $2 == b {sub(/:.*/, "", $1); print $1; exit}' <<<"$owners")
  [[ -n $package ]] || fail "no Debian package owns $library"
  grep -qx "$package" <<<"$runtime_packages" || fail "the runtime stage lacks $package (for $library)"
  checked=$((checked + 1))
done
((checked >= 5)) || fail "only $checked libraries found by ldd"

# The daemon never runs as root: the runtime stage starts as root only for the entrypoint, which
# continues as the state directory's owner through setpriv (scripts/image-test.sh sees the uid).
entrypoint=$source_dir/packaging/docker/entrypoint.sh
! grep -q '^USER ' <<<"$runtime" || fail "the runtime stage sets USER: the entrypoint picks the user"
grep -q '^ENTRYPOINT \["/usr/local/bin/mysql-monitor"\]$' <<<"$runtime" || fail "ENTRYPOINT is not the entrypoint script"
grep -q '^COPY packaging/docker/entrypoint.sh /usr/local/bin/mysql-monitor$' <<<"$runtime" ||
  fail "the entrypoint script is not installed as /usr/local/bin/mysql-monitor"
# shellcheck disable=SC2016 # the script's own text, not expanded
grep -q '^exec setpriv --reuid="$owner" --regid="$group" --clear-groups -- "$daemon"' "$entrypoint" ||
  fail "the entrypoint does not drop root before the daemon"
[[ $(grep -cE '^ *exec ' "$entrypoint") == 2 ]] && grep -q '^if ((EUID != 0)); then$' "$entrypoint" ||
  fail "the entrypoint runs the daemon other than as a non-root user or through setpriv"
grep -q '^CMD \["run"\]$' <<<"$runtime" || fail "CMD must be plain run (configuration from the environment)"
grep -q '^STOPSIGNAL SIGTERM$' <<<"$runtime" || fail "STOPSIGNAL SIGTERM missing"
grep -q '^EXPOSE 9650$' <<<"$runtime" || fail "the metrics port is not exposed"
grep -q '^HEALTHCHECK .*' <<<"$runtime" && grep -q '/dev/tcp/127.0.0.1/9650.*GET /healthz' <<<"$runtime" ||
  fail "no HEALTHCHECK asking /healthz on the metrics port"

# The environment the image and the compose demo give the daemon is accepted as configuration.
mapfile -t environment < <(
  sed -n 's/^ENV \(MYSQL_MONITOR_[A-Z_]*\)=\(.*\)$/\1=\2/p' <<<"$runtime"
  awk '/^  monitor:/{inside = 1; next} /^  [a-z]/{inside = 0} inside' "$compose" |
    sed -n 's/^ *\(MYSQL_MONITOR_[A-Z_]*\): *"\{0,1\}\([^"]*\)"\{0,1\}$/\1=\2/p')
((${#environment[@]} >= 8)) || fail "found only ${#environment[@]} MYSQL_MONITOR_ settings"
# Each names a key of config-example.cfg (which lists every key), as MYSQL_MONITOR_<SECTION>_<KEY>.
known=$(awk '/^\[/{section = toupper(substr($0, 2, length($0) - 2))} /^[a-z_]+ *=/{print "MYSQL_MONITOR_" section "_" toupper($1)}' \
  "$source_dir/config-example.cfg")
for setting in "${environment[@]}"; do
  grep -qx "${setting%%=*}" <<<"$known" || fail "${setting%%=*} names no key of config-example.cfg"
done
result=$(env -i "${environment[@]}" "$binary" --check-config 2>&1) ||
  fail "the containers' environment is refused: $result"
echo "docker_files_test: ok ($checked libraries covered, ${#environment[@]} settings accepted; the image itself is not built here)"
