#!/usr/bin/env bash
# quant2int8 main job.
#   ./run.sh                               the built-in demo: generate a ResNet-like model and synthetic
#                                          images, make a fake-quant (QAT-v1 style) model with quant_post,
#                                          convert it to INT8, compare FP32 vs INT8 accuracy and speed
#   ./run.sh MODEL_DIR DATA_FILE [threads] evaluate your model on your dataset (data_prep format),
#                                          converting it first when it holds fake-quant ops
# Installs missing Debian packages and builds first.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install_deps.sh
echo "=== Building (log: build/build.log)"
mkdir -p build
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release &&
       cmake --build build -j"$(nproc)" --target save_quant_model sample_tester benchmark model_info make_demo \
         quant_post; } > build/build.log 2>&1; then
  tail -40 build/build.log
  echo "run.sh: build failed" >&2
  exit 1
fi
BIN=build/bin
export GLOG_logtostderr=1

if [ $# -eq 0 ]; then
  WORK=build/demo
  THREADS=1
  echo "=== Generating the demo model and data in $WORK"
  "$BIN/make_demo" --output_dir="$WORK"
  echo "=== Post-training quantization (KL) -> fake-quant model"
  "$BIN/quant_post" --model_dir="$WORK/fp32_model" --calib_data="$WORK/calib.bin" --batch_size=20 \
    --batch_num=5 --algo=KL --save_model_path="$WORK/quant_model"
  MODEL="$WORK/quant_model"
  DATA="$WORK/test.bin"
else
  MODEL="$1"
  DATA="$2"
  THREADS="${3:-1}"
  WORK=build/run
fi

if "$BIN/model_info" --model_dir="$MODEL" | grep -q '^fake_quant_ops: [1-9]'; then
  echo "=== Converting $MODEL to INT8"
  "$BIN/save_quant_model" --quant_model_path="$MODEL" --int8_model_save_path="$WORK/int8_model" \
    --fp32_model_save_path="$WORK/fp32_optimized"
  FP32="$WORK/fp32_optimized"
  INT8="$WORK/int8_model"
  echo "=== FP32 (fused) accuracy and agreement with INT8"
  "$BIN/sample_tester" --infer_model="$FP32" --infer_data="$DATA" --batch_size=50 --num_threads="$THREADS" \
    --compare_model="$INT8"
  echo "=== INT8 accuracy"
  "$BIN/sample_tester" --infer_model="$INT8" --infer_data="$DATA" --batch_size=50 --num_threads="$THREADS"
  echo "=== Speed (batch 1)"
  "$BIN/benchmark" --fp32_model="$FP32" --int8_model="$INT8" --batch_size=1 --num_threads="$THREADS" --repeat=100
else
  echo "=== $MODEL has no fake-quant ops: evaluating it as it is"
  "$BIN/sample_tester" --infer_model="$MODEL" --infer_data="$DATA" --batch_size=1 --num_threads="$THREADS"
fi
