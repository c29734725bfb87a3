// CausalVision experiments: rows x seeds with paired confidence intervals (see
// CausalVision.Evaluation.ExperimentRunner). Run with
//   ./build.sh experiment baseline-rows --seeds 5 --out artifacts/experiments/baseline-rows
// Writes OUT/summary.json (the contract), OUT/results.csv, OUT/summary.md; ./build.sh experiment
// then draws OUT/bars-*.png (and OUT/sweep-*.png for p-sweep) with samples/ExperimentPlots.
// Rerunning with the same OUT resumes: finished (row, seed) results are kept.
using CausalVision.Samples;

return ExperimentCommand.Create().Parse(args).Invoke();
