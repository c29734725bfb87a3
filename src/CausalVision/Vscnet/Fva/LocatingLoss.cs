// VSCNet's adaptive locating loss L_l (Meng et al., AAAI 2025, eq. 4) together with the extra terms the
// authors' code adds in stage 1 (yibuxulong/Fine-grained-visual-semantic-causal: loss.py, train_arl):
// scale upper/lower bounds and anti-outlier terms. Re-implemented from the formulas; no code copied.
using CausalVision.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CausalVision.Vscnet.Fva;

/// <summary>
/// The adaptive locating loss L_l on the affine matrices of the Cascaded Spatial Net: it pushes the regions of one
/// image apart (diversity), keeps shifts and scales of the batch together (anti-outlier), penalises rotation and keeps
/// scales within bounds.
/// </summary>
/// <remarks>
/// <para>With x = theta_13, y = theta_23 (shifts), s_x = theta_11, s_y = theta_22 (scales), r = (theta_12, theta_21),
/// means over the considered steps of the batch written <c>mean</c>, and B the batch size:</para>
/// <code>
/// diversity  = w_d * mean_b exp(-sum_{i&lt;j in b} (|x_i - x_j| + |y_i - y_j|))           (Code form)
///            = w_d * mean_b sum_{j in b} exp(-|x_j - x̄_b| - |y_j - ȳ_b|)                (PaperEquation4 form, eq. 4)
///            = w_d * mean_b mean_{i&lt;j in b} exp(-|x_i - x_j| - |y_i - y_j|)             (Pairwise form, ours)
/// outlier    = w_os * (mean|x - mean x| + mean|y - mean y|) + w_oc * (mean|s_x - mean s_x| + mean|s_y - mean s_y|)
/// rotation   = w_r * mean (|theta_12| + |theta_21|) / 2                                   (Code form)
///            = w_r * mean_b sum_{j in b} (|theta_12| + |theta_21|)                         (PaperEquation4 form)
/// scaleUpper = w_u * mean (max(|s_x| - u, 0) + max(|s_y| - u, 0))
/// scaleLower = w_l * mean (max(l - s_x, 0) + max(l - s_y, 0))
/// contain    = w_c * mean (max(|x| + |s_x| - 1, 0) + max(|y| + |s_y| - 1, 0))              (ours; weight 0 by default)
/// L_l        = diversity + outlier + rotation + scaleUpper + scaleLower + contain
/// </code>
/// <para>An optional step mask restricts every term to the considered steps (the authors' code uses only the steps that
/// have a tag target). In the Code form an image with fewer than two considered steps contributes the constant
/// exp(0) = 1 to the diversity mean, as in the code; means over zero steps are 0.</para>
/// <para>Shapes: thetas <c>[B, J, 2, 3]</c>, mask <c>[B, J]</c> (bool, optional); every term is a scalar.</para>
/// </remarks>
public sealed class LocatingLoss
{
    private readonly LocatingLossOptions options;

    /// <summary>Initializes a new instance of the <see cref="LocatingLoss"/> class.</summary>
    /// <param name="options">Options; <see langword="null"/> means the defaults (the authors' code). Validated.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public LocatingLoss(LocatingLossOptions? options = null)
    {
        options ??= new LocatingLossOptions();
        options.Validate();
        this.options = options;
    }

    /// <summary>Computes every term of L_l.</summary>
    /// <param name="thetas">Affine matrices <c>[B, J, 2, 3]</c>.</param>
    /// <param name="stepMask">Optional <c>[B, J]</c> bool mask of the steps to regularise; <see langword="null"/> means all.</param>
    /// <returns>The weighted terms and their sum (owned by the caller).</returns>
    /// <exception cref="ArgumentException">A shape does not match, or thetas hold NaN/Inf.</exception>
    public LocatingLossTerms Compute(Tensor thetas, Tensor? stepMask = null)
    {
        Guard.NonEmptyRank(thetas, 4, nameof(thetas), "[B, J, 2, 3]");
        Guard.Floating(thetas, nameof(thetas));
        if (thetas.shape[2] != 2 || thetas.shape[3] != 3)
        {
            throw new ArgumentException($"thetas must have shape [B, J, 2, 3] but has shape [{string.Join(", ", thetas.shape)}].", nameof(thetas));
        }

        if (stepMask is not null)
        {
            Guard.NonEmptyRank(stepMask, 2, nameof(stepMask), "[B, J]");
            if (stepMask.shape[0] != thetas.shape[0] || stepMask.shape[1] != thetas.shape[1])
            {
                throw new ArgumentException($"stepMask has shape [{string.Join(", ", stepMask.shape)}] but thetas has [B, J] = [{thetas.shape[0]}, {thetas.shape[1]}].", nameof(stepMask));
            }
        }

        Guard.Finite(thetas, nameof(thetas));

        using var scope = NewDisposeScope();
        var m = stepMask is null
            ? ones(thetas.shape[0], thetas.shape[1], dtype: thetas.dtype, device: thetas.device)
            : stepMask.to_type(thetas.dtype);
        var count = m.sum().clamp_min(1.0);
        var sx = thetas[.., .., 0, 0];
        var r12 = thetas[.., .., 0, 1];
        var x = thetas[.., .., 0, 2];
        var r21 = thetas[.., .., 1, 0];
        var sy = thetas[.., .., 1, 1];
        var y = thetas[.., .., 1, 2];

        Tensor MaskedMean(Tensor v) => (v * m).sum() / count;
        Tensor Mad(Tensor v) => MaskedMean((v - MaskedMean(v)).abs());

        Tensor diversity;
        Tensor rotation;
        if (options.Form == LocatingLossForm.Pairwise)
        {
            var pair = (m.unsqueeze(2) * m.unsqueeze(1)).triu(1);
            var dx = (x.unsqueeze(2) - x.unsqueeze(1)).abs();
            var dy = (y.unsqueeze(2) - y.unsqueeze(1)).abs();
            var pairs = pair.sum().clamp_min(1.0);
            diversity = (exp(-ScalarSafe.Add(dx, dy)) * pair).sum() / pairs;
            rotation = MaskedMean(ScalarSafe.Add(r12.abs(), r21.abs()) * 0.5);
        }
        else if (options.Form == LocatingLossForm.Code)
        {
            var pair = m.unsqueeze(2) * m.unsqueeze(1);
            var dx = (x.unsqueeze(2) - x.unsqueeze(1)).abs();
            var dy = (y.unsqueeze(2) - y.unsqueeze(1)).abs();
            var spread = (ScalarSafe.Add(dx, dy) * pair).sum(new long[] { 1, 2 }) * 0.5;
            diversity = exp(-spread).mean();
            rotation = MaskedMean(ScalarSafe.Add(r12.abs(), r21.abs()) * 0.5);
        }
        else
        {
            var perImage = m.sum(1, keepdim: true).clamp_min(1.0);
            var meanX = (x * m).sum(1, keepdim: true) / perImage;
            var meanY = (y * m).sum(1, keepdim: true) / perImage;
            diversity = (exp(-(x - meanX).abs() - (y - meanY).abs()) * m).sum(1).mean();
            rotation = (ScalarSafe.Add(r12.abs(), r21.abs()) * m).sum(1).mean();
        }

        var outlierShift = ScalarSafe.Add(Mad(x), Mad(y));
        var outlierScale = ScalarSafe.Add(Mad(sx), Mad(sy));
        var upper = MaskedMean(ScalarSafe.Add(F.relu(sx.abs() - options.ScaleUpperBound), F.relu(sy.abs() - options.ScaleUpperBound)));
        var lower = MaskedMean(ScalarSafe.Add(F.relu(options.ScaleLowerBound - sx), F.relu(options.ScaleLowerBound - sy)));

        var contain = MaskedMean(ScalarSafe.Add(F.relu(ScalarSafe.Add(x.abs(), sx.abs()) - 1.0), F.relu(ScalarSafe.Add(y.abs(), sy.abs()) - 1.0)));
        var wDiversity = diversity * options.DiversityWeight;
        var wShift = outlierShift * options.OutlierShiftWeight;
        var wScale = outlierScale * options.OutlierScaleWeight;
        var wRotation = rotation * options.RotationWeight;
        var wUpper = upper * options.ScaleUpperWeight;
        var wLower = lower * options.ScaleLowerWeight;
        var wContain = contain * options.ContainmentWeight;
        var total = ScalarSafe.Add(wDiversity, wShift);
        total = ScalarSafe.Add(total, wScale);
        total = ScalarSafe.Add(total, wRotation);
        total = ScalarSafe.Add(total, wUpper);
        total = ScalarSafe.Add(total, wLower);
        total = ScalarSafe.Add(total, wContain);
        return new LocatingLossTerms(
            total.MoveToOuterDisposeScope(),
            wDiversity.MoveToOuterDisposeScope(),
            wShift.MoveToOuterDisposeScope(),
            wScale.MoveToOuterDisposeScope(),
            wRotation.MoveToOuterDisposeScope(),
            wUpper.MoveToOuterDisposeScope(),
            wLower.MoveToOuterDisposeScope())
        {
            Containment = wContain.MoveToOuterDisposeScope(),
        };
    }
}

/// <summary>The weighted terms of <see cref="LocatingLoss"/> (scalars owned by the caller).</summary>
/// <param name="Total">L_l: the sum of the other terms.</param>
/// <param name="Diversity">Translation diversity term times its weight.</param>
/// <param name="OutlierShift">Anti-outlier term on shifts times its weight.</param>
/// <param name="OutlierScale">Anti-outlier term on scales times its weight.</param>
/// <param name="Rotation">Rotation penalty times its weight.</param>
/// <param name="ScaleUpper">Scale upper-bound term times its weight.</param>
/// <param name="ScaleLower">Scale lower-bound term times its weight.</param>
public sealed record LocatingLossTerms(Tensor Total, Tensor Diversity, Tensor OutlierShift, Tensor OutlierScale, Tensor Rotation, Tensor ScaleUpper, Tensor ScaleLower) : IDisposable
{
    /// <summary>Gets the containment term times its weight (a scalar; null when built without it).</summary>
    public Tensor? Containment { get; init; }

    /// <summary>Disposes every term.</summary>
    public void Dispose()
    {
        Total.Dispose();
        Diversity.Dispose();
        OutlierShift.Dispose();
        OutlierScale.Dispose();
        Rotation.Dispose();
        ScaleUpper.Dispose();
        ScaleLower.Dispose();
        Containment?.Dispose();
    }
}
