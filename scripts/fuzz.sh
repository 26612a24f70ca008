#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan, build dir build-fuzz) and runs
# each for SECONDS (default 60), one after the other. A crash, an exception other than
# tokprob::Error, a sanitizer report, an input slower than TOKPROB_FUZZ_TIMEOUT seconds (default 10)
# of CPU time or more than 2 GB of memory ends that target's run (the others still run, and the
# script fails at the end); the input is left in build-fuzz/artifacts/.
# The corpus each target grows is kept in build-fuzz/corpus/<target>/ between runs; the committed
# crash reproducers of fuzz/regressions/<target>/ are replayed first; fuzz/<target>.dict, when
# there is one, is the target's dictionary. TOKPROB_FUZZ_SEED fixes libFuzzer's random seed (CI
# uses one, so that a red run can be replayed); unset or 0, every run draws a new one.
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
export TOKPROB_FIXTURES="${TOKPROB_FIXTURES:-$(cd .. && pwd)/shared/fixtures}"
timeout_s="${TOKPROB_FUZZ_TIMEOUT:-10}"
seed="${TOKPROB_FUZZ_SEED:-0}"

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
failed=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" "fuzz/regressions/$t"
  dict=()
  if [ -f "fuzz/$t.dict" ]; then dict=(-dict="fuzz/$t.dict"); fi
  echo "== $t: ${seconds}s"
  log="build-fuzz/logs/$t.log"
  : >"$log"
  left="$seconds"
  while [ "$left" -gt 0 ]; do
    began=$(date +%s)
    if "build-fuzz/${t}_fuzz" -max_total_time="$left" -timeout="$timeout_s" -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 -print_final_stats=1 -seed="$seed" -artifact_prefix="build-fuzz/artifacts/$t-" \
        "${dict[@]}" "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" "fuzz/regressions/$t" >>"$log" 2>&1; then
      break
    fi
    left=$((left - ($(date +%s) - began)))
    # libFuzzer's timeout is wall-clock: on a loaded machine (and under nice) a starved process
    # trips it on a fast input. A timeout counts only if the input, replayed alone, uses more than
    # the timeout in CPU time; otherwise the artifact is set aside and fuzzing goes on.
    artifact=$(ls -t build-fuzz/artifacts/"$t"-* 2>/dev/null | head -n 1)
    if [ -n "$artifact" ] && [[ "$(basename "$artifact")" == "$t-timeout-"* ]] &&
        (ulimit -t "$timeout_s"; "build-fuzz/${t}_fuzz" -timeout=100000 "$artifact") >/dev/null 2>&1; then
      mkdir -p build-fuzz/artifacts/starved
      mv "$artifact" build-fuzz/artifacts/starved/
      echo "   wall-clock timeout not reproduced in CPU time (starved process): $(basename "$artifact") set aside, going on"
      continue
    fi
    tail -n 60 "$log" >&2
    echo "FUZZ FAILURE in $t: see $log and build-fuzz/artifacts/" >&2
    failed+=("$t")
    break
  done
  grep -E "cov: " "$log" | tail -n 1 | sed "s/^/   /"
  # Totals over the runs of this target (more than one when a starved timeout restarted it).
  awk -F: '/^stat::number_of_executed_units/ {n += $NF} /^stat::average_exec_per_sec/ {r = $NF}
           /^stat::peak_rss_mb/ {if ($NF > m) m = $NF}
           END {printf "   executions: %d  last exec/s: %d  peak rss: %d MB\n", n, r, m}' "$log"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FUZZ FAILURES in: ${failed[*]}" >&2
  exit 1
fi
