#!/usr/bin/env bash
# Device side of the GPU run: ONE command for the device tool, from the repository root, after eng/gpu/prepare.sh:
#
#   run (device tool): eng/gpu/run.sh            carry: artifacts/gpu/bundle.tar.xz [artifacts/gpu/libLibTorchSharp.so]
#
# Steps (each bounded in time; a failed step is logged and the next one still runs):
#   1. facts: nvidia-smi, python/torch/CUDA versions, compiler versions;
#   2. build libLibTorchSharp.so from TorchSharp 0.107.0's sources against the Python torch (eng/gpu/CMakeLists.txt),
#      unless artifacts/gpu/libLibTorchSharp.so was carried; the built library is copied to $OUT for the next call;
#   3. parity: the test suite's CPU/CUDA parity cases (CausalVision.Compare parity --device cuda);
#   4. side by side with PyTorch eager on the same card: benchmarks/peers/compare.py --device cuda
#      (ResNet-18 step, VSCNet stage-2 step, paper-B head step, K-means Lloyd), GPU memory per step in the JSON;
#   5. 1,000-step CUDA soak (live tensors and RSS must stay flat);
#   6. BenchmarkDotNet suites on CUDA (GCN, CIM, ...; in-process, short job), reports under $OUT/bdn.
# Everything lands under $OUT (the device tool brings it back): run.log, facts.txt, build.log, parity.jsonl,
# compare/, soak/, bdn/, libLibTorchSharp.so. Exit status: 0 only when the build, the parity and the soak pass.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/artifacts/gpu/out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
PY=${PYTHON:-python3}
WORK=${CAUSALVISION_GPU_WORK:-/tmp/causalvision-gpu}
BUDGET_S=${CAUSALVISION_GPU_BUDGET_S:-540}
START=$(date +%s)
status=0
left() { echo $((BUDGET_S - ($(date +%s) - START))); }
step() { echo; echo "=== $1 ($(date -u +%H:%M:%S), $(left) s left)"; }
bounded() { # bounded SECONDS CMD...: at most SECONDS, never past the budget
  local s=$1; shift
  local l; l=$(left); [ "$l" -lt "$s" ] && s=$l
  [ "$s" -gt 5 ] || { echo "(skipped: no time left)"; return 124; }
  timeout --kill-after=10 "$s" "$@"
}

step "facts"
{ nvidia-smi; "$PY" -c 'import torch, sys; print("python", sys.version.split()[0]); print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None); print("cmake_prefix_path", torch.utils.cmake_prefix_path)'; cmake --version | head -1; (c++ --version || g++ --version) | head -1; ninja --version; nproc; } > "$OUT/facts.txt" 2>&1
cat "$OUT/facts.txt"
TORCH_LIB=$("$PY" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
PREFIX=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')

step "unpack"
rm -rf "$WORK"; mkdir -p "$WORK"
tar -C "$WORK" -xJf artifacts/gpu/bundle.tar.xz || { echo "run.sh: artifacts/gpu/bundle.tar.xz is missing or broken: run eng/gpu/prepare.sh and carry it"; exit 2; }
APP=$WORK/app
echo "TorchSharp sources: commit $(cat "$WORK/torchsharp/COMMIT")"

step "LibTorchSharp"
if [ -f artifacts/gpu/libLibTorchSharp.so ]; then
  echo "using the carried artifacts/gpu/libLibTorchSharp.so"
  cp artifacts/gpu/libLibTorchSharp.so "$APP/"
else
  ( bounded 420 cmake -S eng/gpu -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" \
        -DTORCHSHARP_NATIVE_DIR="$WORK/torchsharp/src/Native/LibTorchSharp" \
    && bounded 420 cmake --build "$WORK/build" -j "$(nproc)" ) > "$OUT/build.log" 2>&1
  rc=$?
  tail -40 "$OUT/build.log"
  if [ $rc -ne 0 ] || [ ! -f "$WORK/build/libLibTorchSharp.so" ]; then
    echo "run.sh: building LibTorchSharp against torch $("$PY" -c 'import torch; print(torch.__version__)') failed (exit $rc): see build.log (first errors below)"
    grep -m 20 -E 'error|Error' "$OUT/build.log"
    exit 1
  fi
  cp "$WORK/build/libLibTorchSharp.so" "$APP/" && cp "$WORK/build/libLibTorchSharp.so" "$OUT/"
fi
export LD_LIBRARY_PATH="$TORCH_LIB:$APP${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
OURS="$APP/CausalVision.Compare"

step "parity (CPU vs CUDA)"
bounded 120 "$OURS" parity --device cuda | tee "$OUT/parity.jsonl"
rc=${PIPESTATUS[0]}; [ "$rc" -eq 0 ] || { echo "run.sh: parity failed (exit $rc)"; status=1; }

step "side by side with PyTorch eager on the card"
( nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 500 > "$OUT/gpu-memory.csv" 2>/dev/null & echo $! > "$WORK/smi.pid" )
export CAUSALVISION_COMPARE_OURS="$OURS" CAUSALVISION_COMPARE_PY="$PY"
bounded 240 "$PY" benchmarks/peers/compare.py --device cuda --rounds 3 --threads 1 --steps 50 \
    --cases resnet18,vscnet,causal-head,kmeans
kill "$(cat "$WORK/smi.pid")" 2>/dev/null
mkdir -p "$OUT/compare" && cp -r artifacts/compare/. "$OUT/compare/" 2>/dev/null

step "1,000-step CUDA soak"
bounded 150 "$OURS" soak --model resnet18 --data fixed --device cuda --steps 1000 --every 50 --warmup 100 --out "$OUT/soak"
rc=$?; [ "$rc" -eq 0 ] || { echo "run.sh: soak failed (exit $rc)"; status=1; }

step "BenchmarkDotNet on CUDA"
( cd "$WORK" && export CAUSALVISION_BENCH_DEVICES=cuda && bounded 120 "$APP/CausalVision.Benchmarks" --filter '*GcnConv*' '*CimStep*' '*Intervention*' \
    --job short --artifacts "$OUT/bdn" )

step "done: exit $status"
exit $status
