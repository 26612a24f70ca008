#!/usr/bin/env bash
# tokprob against llama.cpp on the benchmark model (the distilgpt2 shape), side by side on this
# machine: the whole-process time of a 512-token prompt, prefill tokens/s of those 512 tokens and
# decode tokens/s, per thread count and weight format, the two programs alternating run by run.
# Not part of the build or the tests; see README.md here for how llama.cpp was built.
#
# usage: bench/llamacpp/compare.sh LLAMA_BUILD_DIR F32_GGUF BF16_GGUF Q8_0_GGUF [REPEATS=5] [THREADS="1 2"]
# From the repository root, after building tokprob, tokprob_bench and tokprob_call_bench (build/)
# and running tokprob_bench once (it writes build/bench-distilgpt2, which the GGUF files are
# converted from). Env: TOKPROB_BUILD (default build), BENCH_MODEL (default
# $TOKPROB_BUILD/bench-distilgpt2), OUT (folder for the raw runs, default a fresh temporary one),
# DTYPES (default "fp32 bf16 int8").
set -euo pipefail

if [ $# -lt 4 ]; then
  sed -n '7,12p' "$0" >&2
  exit 2
fi
llama_bin=$1/bin
declare -A gguf=([fp32]=$2 [bf16]=$3 [int8]=$4)
repeats=${5:-5}
threads_list=${6:-1 2}
build=${TOKPROB_BUILD:-build}
model=${BENCH_MODEL:-$build/bench-distilgpt2}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
runs=$out/runs.csv
echo "measure,dtype,threads,program,run,value,cpu_s,load1" >"$runs"

for f in "$llama_bin/llama-cli" "$llama_bin/llama-bench" "$build/tokprob" "$build/tokprob_bench" \
  "$build/tokprob_call_bench" "${gguf[fp32]}" "${gguf[bf16]}" "${gguf[int8]}" "$model/config.json"; do
  [ -e "$f" ] || { echo "compare.sh: missing $f" >&2; exit 2; }
done

# 512 tokens: "The" and 511 words that GPT-2's byte-level BPE keeps as one token each (" word").
prompt_file=$out/prompt-512.txt
python3 - "$prompt_file" <<'PY'
import sys
words = ("time people year way day man thing woman life child world school state family student group "
         "country problem hand part place case week company system program question work government number "
         "night point home water room mother area money story fact month lot right study book eye job word "
         "business issue side kind head house service friend father power hour game line end member law car "
         "city community name president team minute idea kid body information back parent face others level "
         "office door health person art war history party result change morning reason research girl guy "
         "moment air teacher force education").split()
x, chosen = 12345, ["The"]
while len(chosen) < 512:
    x = (x * 1103515245 + 12345) % 2**31
    chosen.append(words[(x >> 8) % len(words)])
open(sys.argv[1], "w").write(" ".join(chosen))
PY
prompt=$(cat "$prompt_file")
n_tokens=$("$build/tokprob" tokenize -m "$model" --format json "$prompt" | python3 -c 'import json,sys; print(len(json.loads(sys.stdin.readline())["ids"]))')
[ "$n_tokens" = 512 ] || { echo "compare.sh: the prompt is $n_tokens tokens, not 512" >&2; exit 1; }

export TOKPROB_WEIGHT_CACHE=$out/tokprob-weight-cache  # converted weights, filled by the warm-up runs
load1() { cut -d' ' -f1 /proc/loadavg; }

# Wall and CPU (user + system) seconds of a command, appended to $runs.
timed() {
  local measure=$1 dtype=$2 threads=$3 program=$4 run=$5
  shift 5
  local TIMEFORMAT='%R %U %S' t
  t=$({ time "$@" >/dev/null 2>&1; } 2>&1) || { echo "compare.sh: failed: $*" >&2; exit 1; }
  read -r wall user sys <<<"$t"
  echo "$measure,$dtype,$threads,$program,$run,$wall,$(python3 -c "print($user + $sys)"),$(load1)" >>"$runs"
}

llama_cli() {  # $1 dtype, $2 threads
  "$llama_bin/llama-cli" -m "${gguf[$1]}" -f "$prompt_file" -n 1 -t "$2" -tb "$2" -c 1024 -no-cnv --no-warmup \
    --temp 0 -s 1 </dev/null
}
tokprob_next() { "$build/tokprob" next -m "$model" --dtype "$1" --threads "$2" "$prompt"; }

# One llama-bench test (-r 1: its own warm-up run, then one measured), tokens/s.
llama_bench_ts() {  # $1 dtype, $2 threads, $3 -p, $4 -n
  "$llama_bin/llama-bench" -m "${gguf[$1]}" -t "$2" -p "$3" -n "$4" -r 1 -o csv 2>/dev/null |
    python3 -c 'import csv,sys; print(list(csv.DictReader(sys.stdin))[0]["avg_ts"])'
}

for threads in $threads_list; do
  for dtype in ${DTYPES:-fp32 bf16 int8}; do
    echo "threads $threads, $dtype: load $(load1)" >&2
    # Unmeasured: page cache, tokprob's converted weights.
    llama_cli "$dtype" "$threads" >/dev/null 2>&1
    tokprob_next "$dtype" "$threads" >/dev/null
    for run in $(seq "$repeats"); do
      timed whole_ms "$dtype" "$threads" llama.cpp "$run" llama_cli "$dtype" "$threads"
      timed whole_ms "$dtype" "$threads" tokprob "$run" tokprob_next "$dtype" "$threads"

      ts=$(llama_bench_ts "$dtype" "$threads" 512 0)
      echo "prefill_tps,$dtype,$threads,llama.cpp,$run,$ts,,$(load1)" >>"$runs"
      us=$("$build/tokprob_call_bench" "$model" "$prompt" 10 1 "$threads" "$dtype" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["median_us"])')
      echo "prefill_tps,$dtype,$threads,tokprob,$run,$(python3 -c "print(512 / ($us * 1e-6))"),,$(load1)" >>"$runs"

      ts=$(llama_bench_ts "$dtype" "$threads" 0 32)
      echo "decode_tps,$dtype,$threads,llama.cpp,$run,$ts,,$(load1)" >>"$runs"
      s=$("$build/tokprob_bench" --model-dir "$model" --only decode --dtypes "$dtype" --threads "$threads" \
        --repeats 1 --json 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"][0]["decode_per_token"]["median_s"])')
      echo "decode_tps,$dtype,$threads,tokprob,$run,$(python3 -c "print(1 / $s)"),,$(load1)" >>"$runs"
    done
  done
done

# The table: medians with the spread (min-max) of the runs, and tokprob / llama.cpp.
python3 - "$runs" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def pick(m, d, t, p, key="value"):
    return [float(r[key]) for r in rows if (r["measure"], r["dtype"], r["threads"], r["program"]) == (m, d, t, p) and r[key]]
names = {"whole_ms": "512-token prompt, whole process, ms", "prefill_tps": "prefill 512 tokens, tokens/s",
         "decode_tps": "decode, tokens/s"}
print("| figure | dtype (gguf) | threads | tokprob median (min–max) | llama.cpp median (min–max) | tokprob / llama.cpp |")
print("|---|---|---|---|---|---|")
gguf = {"fp32": "f32", "bf16": "bf16", "int8": "q8_0"}
for m in names:
    for t in sorted({r["threads"] for r in rows}):
        for d in ("fp32", "bf16", "int8"):
            a, b = pick(m, d, t, "tokprob"), pick(m, d, t, "llama.cpp")
            if not a or not b:
                continue
            scale = 1000 if m == "whole_ms" else 1
            fmt = lambda v: f"{v * scale:.0f}" if m != "decode_tps" else f"{v:.1f}"
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"| {names[m]} | {d} ({gguf[d]}) | {t} | {fmt(ma)} ({fmt(min(a))}–{fmt(max(a))}) | "
                  f"{fmt(mb)} ({fmt(min(b))}–{fmt(max(b))}) | {ma / mb:.2f} |")
loads = [float(r["load1"]) for r in rows]
cpu = [(float(r["cpu_s"]), float(r["value"])) for r in rows if r["cpu_s"]]
print(f"\n1-minute load average during the runs: median {statistics.median(loads):.1f}, "
      f"min {min(loads):.1f}, max {max(loads):.1f} on {len(open('/proc/cpuinfo').read().split('processor')) - 1} CPUs; "
      f"whole-process runs: CPU time / wall time median {statistics.median(c / w for c, w in cpu):.2f}.")
PY
echo "raw runs: $runs" >&2
