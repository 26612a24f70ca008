#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan, build dir build-fuzz) and runs
# each for SECONDS (default 60), one after the other. A crash, an exception other than
# tokprob::Error, a sanitizer report, an input slower than TOKPROB_FUZZ_TIMEOUT seconds (default 10)
# or more than 2 GB of memory stops the run; the input is left in build-fuzz/artifacts/.
# The corpus each target grows is kept in build-fuzz/corpus/<target>/ between runs; the committed
# crash reproducers of fuzz/regressions/<target>/ are replayed first; fuzz/<target>.dict, when
# there is one, is the target's dictionary.
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
export TOKPROB_FIXTURES="${TOKPROB_FIXTURES:-$(cd .. && pwd)/shared/fixtures}"
timeout_s="${TOKPROB_FUZZ_TIMEOUT:-10}"

cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTOKPROB_FUZZ=ON -DTOKPROB_BUILD_TESTS=OFF -DTOKPROB_BUILD_BENCH=OFF >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" _fuzz.cpp)"); done
fi
cmake --build build-fuzz -j2 --target "${targets[@]/%/_fuzz}"
bash fuzz/make_corpus.sh "$TOKPROB_FIXTURES" build-fuzz/seeds
mkdir -p build-fuzz/artifacts build-fuzz/logs
# One process at a time: the machine is shared. Leak checks stay on (libFuzzer's default).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" "fuzz/regressions/$t"
  dict=()
  if [ -f "fuzz/$t.dict" ]; then dict=(-dict="fuzz/$t.dict"); fi
  echo "== $t: ${seconds}s"
  if ! "build-fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb=2048 \
      -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" \
      "${dict[@]}" "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" "fuzz/regressions/$t" >"build-fuzz/logs/$t.log" 2>&1; then
    tail -n 60 "build-fuzz/logs/$t.log" >&2
    echo "FUZZ FAILURE in $t: see build-fuzz/logs/$t.log and build-fuzz/artifacts/" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb|cov: " \
    "build-fuzz/logs/$t.log" | tail -n 4 | sed "s/^/   /"
done
