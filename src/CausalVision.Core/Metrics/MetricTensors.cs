// Converts CPU tensors into the arrays the metric suite works on.
using TorchSharp;

namespace CausalVision.Metrics;

/// <summary>Conversions from tensors to metric inputs (copies; the tensors are not disposed).</summary>
public static class MetricTensors
{
    /// <summary>Copies a 2-D tensor [N, C] of any real dtype, on any device, into a double matrix.</summary>
    /// <param name="tensor">Scores [N, C].</param>
    /// <returns>A new [N, C] array.</returns>
    /// <exception cref="ArgumentException">The tensor is not 2-D.</exception>
    public static double[,] ToScores(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 2)
        {
            throw new ArgumentException($"Expected a 2-D score tensor [images, classes], got shape [{string.Join(", ", tensor.shape)}].", nameof(tensor));
        }

        using var scope = torch.NewDisposeScope();
        var flat = tensor.detach().cpu().to(torch.float64).contiguous().data<double>().ToArray();
        var n = (int)tensor.shape[0];
        var c = (int)tensor.shape[1];
        var result = new double[n, c];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    /// <summary>Copies a 2-D multi-hot tensor [N, C] (nonzero = positive) into a boolean matrix.</summary>
    /// <param name="tensor">Targets [N, C].</param>
    /// <returns>A new [N, C] array.</returns>
    /// <exception cref="ArgumentException">The tensor is not 2-D.</exception>
    public static bool[,] ToTargets(torch.Tensor tensor)
    {
        var values = ToScores(tensor);
        var result = new bool[values.GetLength(0), values.GetLength(1)];
        for (var i = 0; i < values.GetLength(0); i++)
        {
            for (var j = 0; j < values.GetLength(1); j++)
            {
                result[i, j] = values[i, j] != 0;
            }
        }

        return result;
    }

    /// <summary>Copies a 1-D integer label tensor [N] into an array.</summary>
    /// <param name="tensor">Class indices [N].</param>
    /// <returns>A new array.</returns>
    /// <exception cref="ArgumentException">The tensor is not 1-D.</exception>
    public static int[] ToLabels(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 1)
        {
            throw new ArgumentException($"Expected a 1-D label tensor [images], got shape [{string.Join(", ", tensor.shape)}].", nameof(tensor));
        }

        using var scope = torch.NewDisposeScope();
        return tensor.detach().cpu().to(torch.int64).data<long>().ToArray().Select(v => checked((int)v)).ToArray();
    }
}
