// The executable form of the supported ONNX operators (onnx.ai/onnx/operators), each a small class
// the imported module runs in graph order. Shape conventions follow the ONNX operator specs.
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Onnx;

/// <summary>One imported node: maps its input tensors to new output tensors the caller owns.</summary>
internal abstract class OnnxOp
{
    /// <summary>Runs the node.</summary>
    /// <param name="inputs">The node's inputs (never disposed here; null for an omitted optional input).</param>
    /// <returns>The node's outputs, new tensors.</returns>
    public abstract Tensor[] Run(IReadOnlyList<Tensor?> inputs);

    /// <summary>The output length of a window of <paramref name="kernel"/> (dilated) over <paramref name="length"/> with explicit pads.</summary>
    /// <param name="length">The input length.</param>
    /// <param name="begin">Leading pad.</param>
    /// <param name="end">Trailing pad.</param>
    /// <param name="kernel">The dilated kernel extent.</param>
    /// <param name="stride">The stride.</param>
    /// <returns>floor((L + b + e - k) / s) + 1.</returns>
    protected static long OutLength(long length, long begin, long end, long kernel, long stride) => ((length + begin + end - kernel) / stride) + 1;

    /// <summary>Crops the trailing rows/columns that symmetric leading padding produced beyond the ONNX output size.</summary>
    /// <param name="y">The result computed with symmetric padding (disposed when cropped).</param>
    /// <param name="h">The ONNX output height.</param>
    /// <param name="w">The ONNX output width.</param>
    /// <returns><paramref name="y"/> itself or a cropped copy.</returns>
    protected static Tensor Crop(Tensor y, long h, long w)
    {
        if (y.shape[2] == h && y.shape[3] == w)
        {
            return y;
        }

        using (y)
        {
            using var rows = y.narrow(2, 0, h);
            using var cells = rows.narrow(3, 0, w);
            return cells.contiguous();
        }
    }
}

/// <summary>Conv (2-D): a <see cref="Conv2d"/> padded by the leading pads; trailing pads that differ are cropped or added.</summary>
/// <remarks>
/// ONNX pads are [top, left, bottom, right]. With bottom &lt;= top and right &lt;= left (the CNTK
/// ResNet's [3,3,2,2] and [1,1,0,0]) the symmetric convolution computes every ONNX output cell at the
/// same window position plus possibly one extra trailing row/column, which is cropped; larger
/// trailing pads are added explicitly with zeros.
/// </remarks>
internal sealed class ConvOp(Conv2d conv, long[] pads, long[] kernel, long[] strides, long[] dilations) : OnnxOp
{
    /// <summary>Replaces the weight by a channels-last (NHWC-strided) copy with the same values.</summary>
    public void ToChannelsLast()
    {
        using var _ = no_grad();
        var old = conv.weight!;
        using var nhwc = old.permute(0, 2, 3, 1).contiguous();
        conv.weight = new TorchSharp.Modules.Parameter(nhwc.permute(0, 3, 1, 2), requires_grad: old.requires_grad);
        old.Dispose();
    }

    /// <summary>Folds an inference BatchNorm that follows this convolution into its weight and bias.</summary>
    /// <param name="bn">The BatchNorm (its running statistics and affine parameters are read).</param>
    public void FoldScaleShift(BatchNorm2d bn)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var scale = bn.weight! / (bn.running_var! + bn.eps).sqrt();
        var shift = bn.bias! - (bn.running_mean! * scale);
        if (conv.bias is { } b)
        {
            shift = ScalarSafe.Add(shift, b * scale);
        }

        conv.weight!.mul_(scale.reshape(-1, 1, 1, 1));
        var bias = new TorchSharp.Modules.Parameter(shift.detach().clone(), requires_grad: false);
        bias.MoveToOuterDisposeScope();
        conv.bias = bias;
    }

    public override Tensor[] Run(IReadOnlyList<Tensor?> inputs)
    {
        var x = inputs[0]!;
        var extraH = Math.Max(0, pads[2] - pads[0]);
        var extraW = Math.Max(0, pads[3] - pads[1]);
        var h = OutLength(x.shape[2], pads[0], pads[2], (dilations[0] * (kernel[0] - 1)) + 1, strides[0]);
        var w = OutLength(x.shape[3], pads[1], pads[3], (dilations[1] * (kernel[1] - 1)) + 1, strides[1]);
        if (extraH == 0 && extraW == 0)
        {
            return [Crop(conv.call(x), h, w)];
        }

        using var padded = F.pad(x, [0, extraW, 0, extraH]);
        return [Crop(conv.call(padded), h, w)];
    }
}

/// <summary>MaxPool / AveragePool (2-D) with ONNX pads, same cropping scheme as <see cref="ConvOp"/>.</summary>
internal sealed class PoolOp(bool max, long[] pads, long[] kernel, long[] strides, bool countIncludePad) : OnnxOp
{
    public override Tensor[] Run(IReadOnlyList<Tensor?> inputs)
    {
        var x = inputs[0]!;
        var h = OutLength(x.shape[2], pads[0], pads[2], kernel[0], strides[0]);
        var w = OutLength(x.shape[3], pads[1], pads[3], kernel[1], strides[1]);
        var leadingFits = pads[0] <= kernel[0] / 2 && pads[1] <= kernel[1] / 2;
        var trailingFits = pads[2] <= pads[0] && pads[3] <= pads[1];
        if (leadingFits && trailingFits)
        {
            var y = max
                ? F.max_pool2d(x, kernel, strides, [pads[0], pads[1]])
                : F.avg_pool2d(x, kernel, strides, [pads[0], pads[1]], count_include_pad: countIncludePad);
            return [Crop(y, h, w)];
        }

        // General case: pad explicitly (-inf for max; zeros and a count of real cells for average).
        using var scope = NewDisposeScope();
        var padSpec = new[] { pads[1], pads[3], pads[0], pads[2] };
        Tensor result;
        if (max)
        {
            result = F.max_pool2d(F.pad(x, padSpec, value: double.NegativeInfinity), kernel, strides);
        }
        else
        {
            var sums = F.avg_pool2d(F.pad(x, padSpec), kernel, strides);
            if (!countIncludePad)
            {
                using var ones = torch.ones([1, 1, x.shape[2], x.shape[3]], x.dtype, x.device);
                var share = F.avg_pool2d(F.pad(ones, padSpec), kernel, strides);
                sums = sums / share;
            }

            result = sums;
        }

        return [result.MoveToOuterDisposeScope()];
    }
}

/// <summary>BatchNormalization over dim 1 through an imported <see cref="BatchNorm2d"/> (4-D inputs).</summary>
internal sealed class BatchNormOp(BatchNorm2d bn) : OnnxOp
{
    /// <summary>Gets the imported layer.</summary>
    public BatchNorm2d Layer => bn;

    public override Tensor[] Run(IReadOnlyList<Tensor?> inputs) => [bn.call(inputs[0]!)];
}

/// <summary>Gemm and MatMul with constant weights, through an imported <see cref="Linear"/>.</summary>
internal sealed class LinearOp(Linear linear) : OnnxOp
{
    public override Tensor[] Run(IReadOnlyList<Tensor?> inputs) => [linear.call(inputs[0]!)];
}

/// <summary>An operator without parameters, as a function of its inputs.</summary>
internal sealed class FunctionOp(Func<IReadOnlyList<Tensor?>, Tensor[]> run) : OnnxOp
{
    public override Tensor[] Run(IReadOnlyList<Tensor?> inputs) => run(inputs);
}
