#!/usr/bin/env bash
# A/B/C timing of K-means Lloyd from the same initial centres: ours with the libtorch kernel, ours with the
# fused kernel (auto), scikit-learn; rotated each round so no side always runs first; one JSON line per fit
# with the 1-minute load average. Needs the data of compare.py (./build.sh compare --cases kmeans once).
#   benchmarks/peers/kmeans_ab.sh [rounds] [native|avx2]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
isa=${2:-native}
D=artifacts/compare
C=(--data $D/kmeans_100000x512.f32 --rows 100000 --dim 512 --k 80 --threads 1 --max-iter 100 --tol 1e-4 --init file --centres $D/kmeans_100000x512_k80_init.f32)
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
if [ "$isa" = avx2 ]; then
  export DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell
fi
ours() { eng/torch-env.sh dotnet artifacts/bin/CausalVision.Compare/release/CausalVision.Compare.dll kmeans "${C[@]}" --kernel "$1" | tail -1; }
peer() { /usr/bin/python3 benchmarks/peers/kmeans_sklearn.py "${C[@]}" | tail -1; }
sides=("ours torch" "ours auto" "peer")
for r in $(seq 0 $((rounds - 1))); do
  for i in 0 1 2; do
    s=${sides[$(( (i + r) % 3 ))]}
    echo "{\"round\": $r, \"isa\": \"$isa\", \"side\": \"$s\", \"load\": $(cut -d' ' -f1 /proc/loadavg), \"result\": $($s)}"
  done
done
