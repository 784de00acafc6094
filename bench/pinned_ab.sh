#!/usr/bin/env bash
# In-network A/B of benchmark binaries (e.g. two builds of one change) on a VM whose vCPUs change speed:
# each round first probes every vCPU (our INT8 3x3 512 -> 512 conv on 7x7, hot: about 0.25 ms in this
# project's fast state, 0.36-0.43 ms in its slow one, bench/README.md), then runs every binary pinned to
# every vCPU in turn, so each pair of numbers on a line saw the same vCPU a few seconds apart.
#   [REPEAT=100] bench/pinned_ab.sh ROUNDS FP32_MODEL_DIR INT8_MODEL_DIR BENCHMARK_BINARY...
# (REPEAT: timed runs of each model per benchmark call; MobileNetV1 was measured with 300.)
# Prints per round and vCPU: the probe, then for each binary "fp32_ms int8_ms speedup".
set -euo pipefail
if [ "$#" -lt 4 ]; then
  echo "usage: $0 ROUNDS FP32_MODEL_DIR INT8_MODEL_DIR BENCHMARK_BINARY..." >&2
  exit 2
fi
ROUNDS="$1"
FP32="$2"
INT8="$3"
shift 3
KERNEL_BENCH="${KERNEL_BENCH:-$(dirname "$0")/../build/bin/kernel_bench}"
CPUS=$(seq 0 $(($(nproc) - 1)))
probe() {
  taskset -c "$1" "$KERNEL_BENCH" --kernel=direct --channels=512 --out_channels=512 --size=7 --filter=3 \
    --threads=1 --runs=60 | tail -1 | grep -o 'ours_hot_ms=[0-9.]*' | cut -d= -f2
}
for r in $(seq "$ROUNDS"); do
  for c in $CPUS; do
    line="round $r cpu$c probe=$(probe "$c")"
    for b in "$@"; do
      out=$(taskset -c "$c" "$b" --fp32_model="$FP32" --int8_model="$INT8" --num_threads=1 --repeat="${REPEAT:-100}" |
        grep '^fp32_ms=' | sed 's/fp32_ms=//; s/int8_ms=//; s/speedup=//')
      line="$line | $(basename "$b") $out"
    done
    echo "$line"
  done
done
