#!/usr/bin/env bash
# The one entry point for building, testing and running rill.
#
#   ./build.sh demo            install what is missing, build Release, run examples/quickstart
#   ./build.sh test            install what is missing, build, run the default suite twice:
#                              RelWithDebInfo with assertions, then ASan+UBSan
#   ./build.sh asan | tsan     the suite under AddressSanitizer+UBSan / ThreadSanitizer only
#   ./build.sh bench [--full]  benchmarks (quick sizes by default), JSON lines on stdout; then
#                              peerbench with rill and charts, in build-release/bench-results
#   ./build.sh soak            long runs: fuzzing and long crash loops (ctest label "soak")
#   ./build.sh install PREFIX  build Release and install headers, library, tool, CMake package
#
# "Install what is missing" checks each Debian package with dpkg and runs
# apt-get only when something is missing (with sudo when not root).
set -euo pipefail
cd "$(dirname "$0")"

JOBS=$(nproc)
BASE_PACKAGES=(build-essential cmake pkg-config git
  libabsl-dev liblz4-dev libsnappy-dev zlib1g-dev libzstd-dev libisal-dev
  catch2 libcli11-dev nlohmann-json3-dev
  libsqlite3-dev)  # examples/exactly_once and the group crash tests
# python3-kafka and its codecs read our files independently in the interop tests.
TEST_PACKAGES=(python3 python3-kafka python3-lz4 python3-snappy python3-zstandard python3-crc32c)
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
# peerbench's engines (bench/peerbench/run.sh; SQLite is in BASE_PACKAGES) and the charts.
BENCH_PACKAGES=(python3 librocksdb-dev liblmdb-dev libhiredis-dev redis-server python3-matplotlib)

log() { printf '\n==> %s\n' "$*" >&2; }

install_missing() {
  local missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing missing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_and_build DIR [cmake args...]
configure_and_build() {
  local dir=$1; shift
  log "configuring $dir ($*)"
  cmake -S . -B "$dir" "$@" >/dev/null
  log "building $dir"
  cmake --build "$dir" -j "$JOBS"
}

# run_tests DIR [ctest args...]
run_tests() {
  local dir=$1; shift
  log "testing $dir"
  ctest --test-dir "$dir" -j "$JOBS" --output-on-failure --timeout 600 "$@"
}

# RelWithDebInfo with assertions on: CMake's default flags define NDEBUG.
CHECKED_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g"
               "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g")

cmd=${1:-test}
shift || true
case "$cmd" in
  demo)
    install_missing "${BASE_PACKAGES[@]}"
    configure_and_build build-release -DCMAKE_BUILD_TYPE=Release -DRILL_BUILD_TESTS=OFF
    log "running examples/quickstart"
    ./build-release/examples/quickstart
    ;;
  test)
    install_missing "${BASE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    configure_and_build build "${CHECKED_FLAGS[@]}"
    run_tests build -LE soak
    configure_and_build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRILL_SANITIZE=address \
      -DRILL_BUILD_BENCH=OFF
    # The install test links a fresh project without sanitizer flags: checked above.
    run_tests build-asan -LE 'soak|install'
    ;;
  asan)
    install_missing "${BASE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    configure_and_build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRILL_SANITIZE=address \
      -DRILL_BUILD_BENCH=OFF
    run_tests build-asan -LE 'soak|install' "$@"
    ;;
  tsan)
    install_missing "${BASE_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    configure_and_build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRILL_SANITIZE=thread \
      -DRILL_BUILD_BENCH=OFF
    run_tests build-tsan -LE 'soak|install|interop' "$@"
    ;;
  bench)
    install_missing "${BASE_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
    configure_and_build build-release -DCMAKE_BUILD_TYPE=Release -DRILL_BUILD_TESTS=OFF
    full=()
    mode=quick
    [ "${1:-}" = "--full" ] && full=(--full) && mode=full
    # rill-bench's lines also go to a file for the charts.
    results=build-release/bench-results
    mkdir -p "$results"
    rill_lines=$results/rill-bench-$mode.jsonl
    : >"$rill_lines"
    log "running bench/format_bench ${full[*]:-}"
    ./build-release/bench/format_bench "${full[@]}"
    log "running bench/storage_bench ${full[*]:-}"
    ./build-release/bench/storage_bench "${full[@]}"
    for workload in append scan scan_cold tail; do
      log "running bench/rill-bench --workload $workload ${full[*]:-}"
      ./build-release/bench/rill-bench --workload "$workload" "${full[@]}" | tee -a "$rill_lines"
    done
    # Recovery time against the unflushed data at the kill, for the chart.
    unflushed=16,64
    [ "$mode" = full ] && unflushed=16,64,256
    log "running bench/rill-bench --workload recovery --unflushed-mb $unflushed"
    ./build-release/bench/rill-bench --workload recovery --unflushed-mb "$unflushed" "${full[@]}" |
      tee -a "$rill_lines"
    log "running bench/rill-bench: 4 producers over 8 partitions"
    ./build-release/bench/rill-bench --workload append --durability os --producers 4 --partitions 8 \
      "${full[@]}" | tee -a "$rill_lines"
    # rill beside RocksDB, SQLite, LMDB, Redis and the file baselines (PEERBENCH_DIR,
    # default ../shared/bench/peerbench); its table goes to stderr.
    bench/peerbench/run.sh --build build-release "${full[@]}"
    log "charts in $results/charts-$mode"
    /usr/bin/python3 bench/plot_benchmarks.py --peerbench "$results/peerbench-$mode.jsonl" \
      --rill-bench "$rill_lines" --out "$results/charts-$mode"
    ;;
  soak)
    install_missing "${BASE_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
    CC=clang-14 CXX=clang++-14 configure_and_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DRILL_SANITIZE=address -DRILL_BUILD_FUZZERS=ON -DRILL_BUILD_BENCH=OFF -DRILL_BUILD_EXAMPLES=OFF
    run_tests build-fuzz -L soak "$@"
    ;;
  install)
    prefix=${1:?usage: ./build.sh install PREFIX}
    install_missing "${BASE_PACKAGES[@]}"
    configure_and_build build-release -DCMAKE_BUILD_TYPE=Release -DRILL_BUILD_TESTS=OFF
    cmake --install build-release --prefix "$prefix"
    ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
