#!/usr/bin/env bash
# Runs peerbench (RocksDB, SQLite, LMDB, Redis Streams and the flat-file
# baselines) with rill as one more engine, in one run_all.sh invocation.
#
#   bench/peerbench/run.sh [--full] [--peerbench DIR] [--build DIR] [run_all.sh args...]
#
#   quick (default)  --n 200000 --reps 1: a look, not a result
#   --full           run_all.sh's defaults (n = 2,000,000, 3 reps) and a Markdown table
#   --peerbench DIR  the peerbench folder (or PEERBENCH_DIR); default
#                    ../shared/bench/peerbench from the repository root
#   --build DIR      rill's Release build directory (or RILL_BUILD); default build-release
#                    in the repository root
#   other arguments  passed on to run_all.sh (e.g. --engines file_write,rill,lmdb)
#
# Builds rill (Release) in DIR, installs it into DIR/prefix, builds peerbench
# with bench/peerbench/engines.cmake into DIR/peerbench and writes the results
# to DIR/bench-results/peerbench-{quick,full}.jsonl (+ .median.jsonl, and .md
# with --full). Everything it prints goes to stderr.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERBENCH=${PEERBENCH_DIR:-$REPO/../shared/bench/peerbench}
BUILD=${RILL_BUILD:-$REPO/build-release}
MODE=quick
PASS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --full) MODE=full; shift ;;
    --peerbench) PEERBENCH=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done

die() { echo "bench/peerbench/run.sh: $*" >&2; exit 2; }
log() { printf '\n==> %s\n' "$*" >&2; }

[ -x "$PEERBENCH/run_all.sh" ] ||
  die "no peerbench at '$PEERBENCH' (want run_all.sh there): set PEERBENCH_DIR or pass --peerbench DIR"
PEERBENCH=$(cd "$PEERBENCH" && pwd)
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac

log "building rill (Release) in $BUILD and installing it into $BUILD/prefix"
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRILL_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >&2
cmake --install "$BUILD" --prefix "$BUILD/prefix" >/dev/null

RESULTS=$BUILD/bench-results
mkdir -p "$RESULTS"
OUT=$RESULTS/peerbench-$MODE.jsonl
ARGS=(--out "$OUT")
if [ "$MODE" = quick ]; then
  ARGS+=(--n 200000 --reps 1)
else
  ARGS+=(--md "$RESULTS/peerbench-full.md")
fi

log "running $PEERBENCH/run_all.sh ${ARGS[*]} ${PASS[*]:-}"
PEERBENCH_CMAKE_ARGS="-DPEERBENCH_EXTRA=$REPO/bench/peerbench/engines.cmake -DCMAKE_PREFIX_PATH=$BUILD/prefix" \
  PEERBENCH_BUILD=$BUILD/peerbench "$PEERBENCH/run_all.sh" "${ARGS[@]}" "${PASS[@]}" >&2
