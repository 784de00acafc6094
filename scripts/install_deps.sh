#!/usr/bin/env bash
# Installs the Debian 12 packages quant2int8 needs to build, test and run (the one list of them).
# Installs only what is missing; uses sudo when not root. ocl-icd-opencl-dev is needed because
# Debian's dnnl-config.cmake looks for OpenCL (libdnnl-dev only recommends it).
set -euo pipefail
PACKAGES=(
  build-essential cmake pkg-config
  libdnnl-dev ocl-icd-opencl-dev libprotobuf-dev protobuf-compiler libgflags-dev libgoogle-glog-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev zlib1g-dev
  libgtest-dev graphviz python3 python3-numpy
  clang libclang-rt-14-dev
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "installing: ${missing[*]}"
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
