#!/usr/bin/env bash
# One entry point for people and CI on a fresh Debian 12 machine (as root):
#   bash scripts/dev.sh run [stalkd flags...]   install, build, run stalkd
#   bash scripts/dev.sh test                    install, build, run every test
#   bash scripts/dev.sh build                   install and build only
#   bash scripts/dev.sh bench [compare.py args] install, build (Release), run the side-by-side
#                                               comparison with beanstalkd (docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and test dependencies, all from Debian 12. Why each one: DESIGN.md
# "Dependencies"; the clients (php, ruby, python3-yaml) are readers used by the
# compatibility tests.
PACKAGES=(
  cmake ninja-build g++ pkg-config
  libasio-dev libspdlog-dev libcli11-dev liblz4-dev libhiredis-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  beanstalkd redis-server redis-tools
  php-cli php-pda-pheanstalk ruby ruby-beaneater python3 python3-yaml
)

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# build [targets...]: configures once, builds the given targets (default: everything).
build() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTALK_WERROR=ON >/dev/null
  if (($#)); then
    cmake --build build --target "$@"
  else
    cmake --build build
  fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
  run)
    install_deps
    build stalkd
    exec ./build/src/server/stalkd "$@"
    ;;
  test)
    install_deps
    build
    ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
    ;;
  build)
    install_deps
    build
    ;;
  bench)
    install_deps
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTALK_BUILD_TESTS=OFF >/dev/null
    cmake --build build-release --target stalkd stalk_loadgen
    exec python3 bench/compare.py --stalkd build-release/src/server/stalkd \
      --loadgen build-release/bench/stalk_loadgen "$@"
    ;;
  *)
    echo "usage: bash scripts/dev.sh run|test|build|bench [args...]" >&2
    exit 2
    ;;
esac
