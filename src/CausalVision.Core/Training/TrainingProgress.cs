namespace CausalVision.Training;

/// <summary>A progress report from a trainer, for <see cref="IProgress{T}"/> consumers (console bars, logs, UIs).</summary>
/// <param name="Stage">The stage being trained (0 for single-stage trainers).</param>
/// <param name="Epoch">The 1-based epoch in progress.</param>
/// <param name="Epochs">The number of epochs in this stage.</param>
/// <param name="Step">The 1-based step within the epoch.</param>
/// <param name="Steps">The steps in this epoch.</param>
/// <param name="Loss">The mean training loss over the epoch so far.</param>
/// <param name="LearningRate">The current learning rate.</param>
/// <param name="Elapsed">Wall time since the stage started.</param>
/// <param name="Metrics">Evaluation metrics, set on the last report of an epoch; empty otherwise.</param>
public sealed record TrainingProgress(
    int Stage,
    int Epoch,
    int Epochs,
    int Step,
    int Steps,
    double Loss,
    double LearningRate,
    TimeSpan Elapsed,
    IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Gets the fraction of this stage done, in [0, 1].</summary>
    public double Fraction => Epochs <= 0 || Steps <= 0 ? 0 : Math.Clamp(((Epoch - 1) + (double)Step / Steps) / Epochs, 0, 1);

    /// <summary>
    /// One readable line, e.g. <c>stage 1 epoch 2/4 step 31/32 loss 0.4213 lr 0.001 00:00:12 acc1 0.8125</c>
    /// (the stage only when non-zero, the metrics only on an epoch's last report; invariant culture).
    /// </summary>
    /// <returns>The line.</returns>
    public override string ToString()
    {
        var line = new System.Text.StringBuilder();
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (Stage != 0)
        {
            line.Append(c, $"stage {Stage} ");
        }

        line.Append(c, $"epoch {Epoch}/{Epochs} step {Step}/{Steps} loss {Loss:F4} lr {LearningRate:G4} {Elapsed:hh\\:mm\\:ss}");
        foreach (var (name, value) in Metrics)
        {
            line.Append(c, $" {name} {value:F4}");
        }

        return line.ToString();
    }
}
