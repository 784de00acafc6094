#!/usr/bin/env bash
# Same-run comparison of ResNet50 v1 INT8 at batch 1: quant2int8 (resnet50_qat_v1 converted by
# save_quant_model) against PyTorch 1.13's FX INT8 on the onednn engine (bench/pytorch_int8.py, the
# same architecture). Rounds alternate the two so both see the same machine state.
#   bench/compare_pytorch.sh [threads=2] [rounds=5]
# Prints each round, then the medians over the rounds, their ratio and the range of the rounds' ratios
# (on a shared VM one round can be off by 10-20% either way).
# Needs the built tools (scripts/test.sh or run.sh), python3-numpy and python3-torch, and the shared
# models (Q2I_SHARED_DIR, default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${Q2I_SHARED_DIR:-../shared}"
THREADS="${1:-2}"
ROUNDS="${2:-5}"
BIN=build/bin
PYTHON="${PYTHON:-/usr/bin/python3}"  # Debian's, which has numpy and torch
WORK=build/bench_resnet50
if [ ! -f "$WORK/int8/__model__" ]; then
  rm -rf "$WORK" && mkdir -p "$WORK"
  cp -r "$SHARED/models/resnet50_qat_v1" "$WORK/qat"
  "$PYTHON" "$WORK/qat/fill_missing_weights.py" --dir "$WORK/qat" > /dev/null
  "$BIN/save_quant_model" --quant_model_path="$WORK/qat" --int8_model_save_path="$WORK/int8" \
    --fp32_model_save_path="$WORK/fp32" > /dev/null
fi
ours=()
theirs=()
ratios=()
for r in $(seq "$ROUNDS"); do
  line=$("$BIN/benchmark" --fp32_model="$WORK/fp32" --int8_model="$WORK/int8" --num_threads="$THREADS" \
    --repeat=100 | grep 'speedup=')
  torch_line=$("$PYTHON" bench/pytorch_int8.py --threads "$THREADS" --batch 1 --repeat 100 --int8_only)
  o=$(sed -E 's/.*int8_ms=([0-9.]+).*/\1/' <<< "$line")
  t=$(sed -E 's/.*int8_ms=([0-9.]+).*/\1/' <<< "$torch_line")
  ours+=("$o")
  theirs+=("$t")
  ratios+=("$(awk -v o="$o" -v t="$t" 'BEGIN {printf "%.2f", t / o}')")
  echo "round $r: quant2int8 $line | $torch_line | ratio=${ratios[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
o=$(median "${ours[@]}")
t=$(median "${theirs[@]}")
lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)
hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
awk -v o="$o" -v t="$t" -v n="$THREADS" -v lo="$lo" -v hi="$hi" -v r="$ROUNDS" \
  'BEGIN {printf "resnet50 int8 batch=1 threads=%d: quant2int8_ms=%.3f pytorch_ms=%.3f ratio=%.2f (medians of %d rounds; round ratios %s-%s)\n", n, o, t, t / o, r, lo, hi}'
