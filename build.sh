#!/usr/bin/env bash
# CausalVision's one entry point. Every command that loads TorchSharp runs through
# eng/torch-env.sh, which gives it a new enough libstdc++ on Debian 12 / Ubuntu 22.04.
#
#   ./build.sh test                 restore, build, run every test project and the walkthroughs, print the summary
#   ./build.sh walkthroughs         the notebook-style file-based apps in samples/walkthroughs (outputs in artifacts/walkthroughs)
#   ./build.sh notebooks [--check]  the walkthroughs as .NET Interactive notebooks (samples/notebooks), executed with outputs
#   ./build.sh quickstart [args]    the main job (generate, train, report) via the causalvision tool
#   ./build.sh train [args]         the causalvision tool's train (any dataset layout), with its training curves
#   ./build.sh bench [filter]       BenchmarkDotNet suites, e.g. ./build.sh bench '*Gcn*'
#   ./build.sh pack                 the four NuGet packages and the causalvision tool into artifacts/packages
#   ./build.sh compare [args]       side by side with PyTorch / scikit-learn (installs the peers)
#   ./build.sh soak [args]          1,000-step memory soak: live tensors and RSS must stay flat
#   ./build.sh fuzz [--iterations N] the parser fuzz suite with N mutations per format (default 100000)
#   ./build.sh run PROJECT [args]   any sample / tool project under samples/ or benchmarks/
#   ./build.sh experiment NAME [--seeds N] [--out DIR] [args]   rows x seeds with paired CIs and PNG plots
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
ENV="$ROOT/eng/torch-env.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

die() { echo "build.sh: $*" >&2; exit 2; }
command -v dotnet >/dev/null 2>&1 || die "the .NET SDK is not on PATH; install .NET 10 (https://dot.net) and try again."

cmd=${1:-help}; shift || true
case "$cmd" in
  test)
    mkdir -p artifacts
    dotnet build CausalVision.sln -c Release -nologo -v minimal
    # The test runner loads libtorch, so it runs inside the compat environment.
    set +e
    "$ENV" dotnet test CausalVision.sln -c Release --no-build -nologo \
      --logger "console;verbosity=normal" "$@" 2>&1 | tee artifacts/test.log
    status=${PIPESTATUS[0]}
    set -e
    passed=$(grep -hoE 'Passed: +[0-9]+' artifacts/test.log | awk '{s+=$2} END {print s+0}' || true)
    failed=$(grep -hoE 'Failed: +[0-9]+' artifacts/test.log | awk '{s+=$2} END {print s+0}' || true)
    skipped=$(grep -hoE 'Skipped: +[0-9]+' artifacts/test.log | awk '{s+=$2} END {print s+0}' || true)
    echo
    echo "Tests: $passed passed, $failed failed, $skipped skipped"
    # The walkthroughs (samples/walkthroughs/*.cs, file-based apps read like notebooks) must keep running too.
    if [ "${CV_SKIP_WALKTHROUGHS:-0}" != 1 ]; then
      "$ROOT/build.sh" walkthroughs || status=1
      # The quickstart notebook (the same code as walkthrough 1) on the .NET Interactive kernel.
      "$ROOT/build.sh" notebooks --check --only 01 || status=1
    fi
    exit "$status"
    ;;
  notebooks)
    # Regenerates samples/notebooks/*.ipynb from the walkthroughs and executes them on a .NET Interactive C#
    # kernel started under the libstdc++ fix, keeping the outputs (eng/notebooks.py; --check runs copies).
    # Needs Debian's jupyter-nbconvert and the Microsoft.dotnet-interactive tool; as root they are installed
    # when missing (both registries are served here), otherwise the command says what to install.
    export PATH="$PATH:$HOME/.dotnet/tools"
    if ! command -v dotnet-interactive >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      timeout 300 dotnet tool install -g Microsoft.dotnet-interactive --version 1.0.712001 >/dev/null 2>&1 || true
    fi
    if [ ! -x /usr/bin/jupyter-nbconvert ] && [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q jupyter-nbconvert python3-ipykernel >/dev/null 2>&1 || true
    fi
    if ! command -v dotnet-interactive >/dev/null 2>&1 || [ ! -x /usr/bin/jupyter-nbconvert ]; then
      echo "Notebooks: skipped: install Debian's jupyter-nbconvert and \`dotnet tool install -g Microsoft.dotnet-interactive\` to run them (the walkthroughs are the same code)."
      exit 0
    fi
    dotnet build samples/Train -c Release -nologo -v quiet
    exec /usr/bin/python3 eng/notebooks.py --execute "$@" ;;
  walkthroughs)
    # Runs every walkthrough (a .NET 10 file-based app) under the compat environment; outputs in artifacts/walkthroughs.
    mkdir -p artifacts/walkthroughs
    ran=0; bad=0
    for f in samples/walkthroughs/*.cs; do
      ran=$((ran + 1))
      log="artifacts/walkthroughs/$(basename "$f" .cs).log"
      start=$(date +%s)
      if "$ENV" dotnet run "$f" > "$log" 2>&1; then
        echo "walkthrough $f: ok ($(( $(date +%s) - start )) s, output in $log)"
      else
        bad=$((bad + 1)); echo "walkthrough $f: FAILED ($(( $(date +%s) - start )) s); last lines of $log:"; tail -20 "$log"
      fi
    done
    echo "Walkthroughs: $ran ran, $bad failed"
    [ "$bad" -eq 0 ] ;;
  quickstart)
    # The causalvision tool's quickstart: the same job (samples/QuickStart/QuickStartJob.cs) and
    # numbers as samples/QuickStart; the tool re-runs itself under the libstdc++ fix when needed.
    dotnet build src/CausalVision.Cli -c Release -nologo -v quiet
    exec "$ROOT/artifacts/bin/CausalVision.Cli/release/CausalVision.Cli" quickstart "$@" ;;
  train)
    # The causalvision tool's train (the same job as samples/Train: samples/Train/TrainJob.cs).
    # It writes metrics.json, the checkpoint and the training curves (curves-*.png) into --out.
    dotnet build src/CausalVision.Cli -c Release -nologo -v quiet
    exec "$ROOT/artifacts/bin/CausalVision.Cli/release/CausalVision.Cli" train "$@" ;;
  run)
    [ $# -ge 1 ] || die "usage: ./build.sh run PROJECT [args]"
    proj=$1; shift
    dotnet build "$proj" -c Release -nologo -v quiet
    exec "$ENV" dotnet run --project "$proj" -c Release --no-build -- "$@" ;;
  experiment)
    [ $# -ge 1 ] || die "usage: ./build.sh experiment NAME [--seeds N] [--out DIR] [args]; --help lists the options"
    # Writes summary.json, summary.md, results.csv and the plots (bars-*.png, sweep-*.png) into --out.
    dotnet build samples/Experiments -c Release -nologo -v quiet
    exec "$ENV" dotnet run --project samples/Experiments -c Release --no-build -- "$@" ;;
  bench)
    filter=${1:-*}; [ $# -gt 0 ] && shift
    dotnet build benchmarks/CausalVision.Benchmarks -c Release -nologo -v quiet
    exec "$ENV" dotnet run --project benchmarks/CausalVision.Benchmarks -c Release --no-build -- --filter "$filter" "$@" ;;
  compare)
    "$ROOT/eng/install-peers.sh"
    dotnet build benchmarks/CausalVision.Compare -c Release -nologo -v quiet
    exec /usr/bin/python3 benchmarks/peers/compare.py "$@" ;;
  soak)
    dotnet build benchmarks/CausalVision.Compare -c Release -nologo -v quiet
    exec "$ENV" dotnet artifacts/bin/CausalVision.Compare/release/CausalVision.Compare.dll soak "$@" ;;
  fuzz)
    iterations=100000
    if [ "${1:-}" = "--iterations" ]; then
      [ $# -ge 2 ] || die "usage: ./build.sh fuzz [--iterations N]"
      iterations=$2; shift 2
    fi
    [[ "$iterations" =~ ^[1-9][0-9]*$ ]] || die "--iterations must be a positive integer, got '$iterations'."
    dotnet build tests/CausalVision.Core.Tests -c Release -nologo -v quiet
    dotnet build tests/CausalVision.Clustering.Tests -c Release -nologo -v quiet
    dotnet build tests/CausalVision.Tests -c Release -nologo -v quiet
    for project in tests/CausalVision.Core.Tests tests/CausalVision.Clustering.Tests tests/CausalVision.Tests; do
      CV_FUZZ_ITERATIONS=$iterations "$ENV" dotnet test "$project" -c Release --no-build -nologo \
        --filter 'FullyQualifiedName~FuzzTests' --logger "console;verbosity=normal" "$@" | grep -E 'mutants|Passed!|Failed!|Total tests|Passed:|Failed:'
    done
    ;;
  pack)
    exec dotnet pack CausalVision.sln -c Release -nologo -o artifacts/packages -p:CausalVisionSourceLink=true "$@" ;;
  help|-h|--help)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' ;;
  *)
    die "unknown command '$cmd'; try ./build.sh help" ;;
esac
