#!/usr/bin/env bash
# Installs everything mysql-monitor needs to build, test and run its local services, from Debian 12
# packages only. Idempotent: packages already present are not fetched again.
#   scripts/install-deps.sh                everything to build, test and run the services
#   scripts/install-deps.sh --build-only   only what building needs
#   scripts/install-deps.sh --bench        also gnuplot for the plots of bench/e2e_bench.sh
#   scripts/install-deps.sh --package      also what scripts/package-test.sh needs
#   scripts/install-deps.sh --image        also what scripts/image.sh needs (podman with runc)
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config
  libmariadb-dev librabbitmq-dev rapidjson-dev libspdlog-dev libfmt-dev libcli11-dev
  zlib1g-dev libzstd-dev libdeflate-dev libjemalloc-dev libmicrohttpd-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev ccache
)
service_packages=(mariadb-server mariadb-client rabbitmq-server openssl)
# The Python example consumer (examples/python) and the `docker compose config` check of
# packaging/docker (tests/packaging); both run with Debian's /usr/bin/python3. promtool (in
# prometheus) tests the alert rules of packaging/prometheus.
test_packages=(python3-pika python3-pymysql python3-yaml docker-compose prometheus)
bench_packages=(gnuplot-nox python3)
package_packages=(debootstrap lintian dpkg-dev)
image_packages=(podman runc uidmap slirp4netns fuse-overlayfs debootstrap podman-compose
  golang-github-containernetworking-plugin-dnsname)

wanted=("${build_packages[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
  wanted+=("${service_packages[@]}" "${test_packages[@]}")
fi
if [[ "${1:-}" == "--bench" ]]; then
  wanted+=("${bench_packages[@]}")
fi
if [[ "${1:-}" == "--package" ]]; then
  wanted+=("${package_packages[@]}")
fi
if [[ "${1:-}" == "--image" ]]; then
  wanted+=("${image_packages[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The servers are started by scripts/services.sh on private ports; keep the packages' own
# init scripts from starting system-wide instances during installation.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
  $SUDO chmod +x $policy
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && $SUDO rm -f '"$policy" EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
