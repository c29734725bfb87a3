#!/usr/bin/env bash
# CPU side of the GPU run: builds what the GPU machine cannot (it has no .NET SDK and no network) into
# artifacts/gpu/, which the device command carries (64 MiB at most):
#
#   eng/gpu/prepare.sh --torchsharp <TorchSharp git dir or checkout>
#
#   artifacts/gpu/bundle.tar.xz   self-contained linux-x64 builds of CausalVision.Compare (cases, parity, soak) and
#                                 CausalVision.Benchmarks (BenchmarkDotNet, in-process), with the .NET runtime inside
#                                 and without the CPU libtorch (the card's Python torch provides libtorch);
#                                 TorchSharp 0.107.0's native sources (src/Native: LibTorchSharp, Stdafx.h, UnixSal.h),
#                                 taken from the given TorchSharp repository at the pinned commit, never committed here.
#
# Then, on the device machine, from the repository root: eng/gpu/run.sh (see there). A second device call can carry
# artifacts/gpu/libLibTorchSharp.so (written under $OUT by the first) so that it is not built again.
set -euo pipefail
cd "$(dirname "$0")/../.."
# TorchSharp 0.107.0: the release-notes commit of that version on dotnet/TorchSharp's main line.
TORCHSHARP_COMMIT=${TORCHSHARP_COMMIT:-c20b6a1cc574d690707638a488d2583f3b8b983f}
src=
while [ $# -gt 0 ]; do
  case "$1" in
    --torchsharp) src=$2; shift 2 ;;
    *) echo "prepare.sh: unknown argument '$1' (usage: eng/gpu/prepare.sh --torchsharp <TorchSharp git dir>)" >&2; exit 2 ;;
  esac
done
[ -n "$src" ] || { echo "prepare.sh: --torchsharp <path to a clone of dotnet/TorchSharp> is required (its native sources are built on the GPU machine)" >&2; exit 2; }
gitdir=$src; [ -d "$src/.git" ] && gitdir=$src/.git
git --git-dir="$gitdir" cat-file -e "$TORCHSHARP_COMMIT^{commit}" 2>/dev/null \
  || { echo "prepare.sh: $src does not contain TorchSharp commit $TORCHSHARP_COMMIT (0.107.0)" >&2; exit 2; }

stage=artifacts/gpu/stage
rm -rf "$stage"; mkdir -p "$stage/app" "$stage/torchsharp"
git --git-dir="$gitdir" archive "$TORCHSHARP_COMMIT" src/Native/LibTorchSharp src/Native/Stdafx.h src/Native/UnixSal.h \
  | tar -x -C "$stage/torchsharp"
echo "$TORCHSHARP_COMMIT" > "$stage/torchsharp/COMMIT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for proj in benchmarks/CausalVision.Compare benchmarks/CausalVision.Benchmarks; do
  dotnet publish "$proj" -c Release -r linux-x64 --self-contained -nologo -v quiet -o "$stage/app" \
    -p:PublishTrimmed=false -p:DebugType=none -p:GenerateDocumentationFile=false
done
# libtorch comes from the card's Python torch: drop every file of the CPU libtorch package that TorchSharp-cpu put
# here, and the bridge built for it.
nuget=${NUGET_PACKAGES:-$HOME/.nuget/packages}
for f in "$nuget"/libtorch-cpu-linux-x64/*/runtimes/linux-x64/native/*; do
  rm -f "$stage/app/$(basename "$f")"
done
rm -f "$stage/app/libLibTorchSharp.so"
rm -rf "$stage/app/runtimes"
tar -C "$stage" -cf - app torchsharp | xz -T2 -9 > artifacts/gpu/bundle.tar.xz
size=$(stat -c %s artifacts/gpu/bundle.tar.xz)
echo "prepare.sh: artifacts/gpu/bundle.tar.xz $((size / 1048576)) MiB (the device command carries at most 64 MiB in all)"
[ "$size" -lt $((60 * 1048576)) ] || { echo "prepare.sh: the bundle is too large to carry" >&2; exit 1; }
