// The terms of VSCNet's graph loss L_gf (Meng et al., AAAI 2025, eq. 13), separately and weighted.
using static TorchSharp.torch;

namespace CausalVision.Graph.Cim;

/// <summary>The three terms of L_gf (eq. 13) and their weighted sum; owns its scalar tensors.</summary>
public sealed class CimLossResult : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="CimLossResult"/> class and takes ownership.</summary>
    /// <param name="kl">KL term (unweighted).</param>
    /// <param name="causal">Causal term (unweighted).</param>
    /// <param name="intervened">Intervened term (unweighted).</param>
    /// <param name="total">Weighted sum.</param>
    public CimLossResult(Tensor kl, Tensor causal, Tensor intervened, Tensor total)
    {
        Kl = kl ?? throw new ArgumentNullException(nameof(kl));
        Causal = causal ?? throw new ArgumentNullException(nameof(causal));
        Intervened = intervened ?? throw new ArgumentNullException(nameof(intervened));
        Total = total ?? throw new ArgumentNullException(nameof(total));
    }

    /// <summary>Gets KL(f_n(F_n), U), unweighted, batch mean (scalar); with
    /// <see cref="CimTrivialObjective.GeneralizedCrossEntropy"/> the GCE of f_n instead.</summary>
    public Tensor Kl { get; }

    /// <summary>Gets loss(f_c(F_c), y), unweighted (scalar).</summary>
    public Tensor Causal { get; }

    /// <summary>Gets loss(f_m(F_m), y), unweighted (scalar).</summary>
    public Tensor Intervened { get; }

    /// <summary>Gets the mask budget term, unweighted (scalar), or null when it is off or no mask was given.</summary>
    public Tensor? Budget { get; init; }

    /// <summary>Gets L_gf = w_kl·Kl + w_c·Causal + w_m·Intervened (+ w_b·Budget) (scalar; call backward on this).</summary>
    public Tensor Total { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Kl.Dispose();
        Causal.Dispose();
        Intervened.Dispose();
        Total.Dispose();
        Budget?.Dispose();
    }
}
