// Tensor ops that take a TorchSharp Scalar, with the Scalar's lifetime pinned across the native call.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Runtime;

/// <summary>
/// Wrappers for TorchSharp calls whose <see cref="Scalar"/> argument libtorch reads late.
/// </summary>
/// <remarks>
/// An implicit conversion such as <c>x.index_add(0, idx, src, 1.0)</c> creates a temporary
/// <see cref="Scalar"/> that nothing references once TorchSharp has read its handle. In optimised
/// (tier-1) code the GC may then collect it while the native call is still running, and its
/// finaliser frees the <c>c10::Scalar</c> that libtorch is about to read. libtorch then sees a
/// garbage type tag and aborts with <c>Expected false to be true ... toFloat at
/// c10/core/Scalar.h</c>. It is rare, and more likely when other threads allocate (data loader
/// workers) and when the op does work before it reads alpha (<c>index_add</c> clones its input first).
/// These wrappers own the Scalar in a <c>using</c> block, so it stays reachable until the
/// call returns and is then freed deterministically, never by the finaliser.
/// </remarks>
public static class ScalarSafe
{
    /// <summary>Gets a process-lifetime <see cref="Scalar"/> 1: pass it as the <c>alpha</c> of <c>add</c>/<c>sub</c>
    /// instead of writing <c>a + b</c>, whose implicit alpha TorchSharp creates as a finalisable temporary (the abort
    /// above was also seen there, in a long feature-extraction run). A static reference is never finalised.</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary><c>a + b</c> with the static alpha <see cref="One"/> (TorchSharp's operator makes a temporary one).</summary>
    /// <param name="a">The left tensor.</param>
    /// <param name="b">The right tensor (broadcast).</param>
    /// <returns>A new tensor (owned by the caller).</returns>
    public static Tensor Add(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.add(b, One);
    }

    /// <summary>In-place <c>a += b</c> with the static alpha <see cref="One"/>.</summary>
    /// <param name="a">The tensor to add into.</param>
    /// <param name="b">The tensor to add (broadcast).</param>
    /// <returns><paramref name="a"/>.</returns>
    public static Tensor Add_(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.add_(b, One);
    }

    /// <summary><c>self.index_add(dim, index, source, alpha)</c> with <paramref name="alpha"/> kept alive.</summary>
    /// <param name="self">The tensor to add into (not modified).</param>
    /// <param name="dim">The dimension to index.</param>
    /// <param name="index">Int64 indices, one per slice of <paramref name="source"/> along <paramref name="dim"/>.</param>
    /// <param name="source">The values to add.</param>
    /// <param name="alpha">The multiplier of <paramref name="source"/>.</param>
    /// <returns>A new tensor (owned by the caller).</returns>
    public static Tensor IndexAdd(Tensor self, long dim, Tensor index, Tensor source, double alpha)
    {
        ArgumentNullException.ThrowIfNull(self);
        using var a = alpha.ToScalar();
        var result = self.index_add(dim, index, source, a);
        GC.KeepAlive(a);
        return result;
    }

    /// <summary>In-place <c>self.index_add_(dim, index, source, alpha)</c> with <paramref name="alpha"/> kept alive.</summary>
    /// <param name="self">The tensor to add into (modified in place).</param>
    /// <param name="dim">The dimension to index.</param>
    /// <param name="index">Int64 indices, one per slice of <paramref name="source"/> along <paramref name="dim"/>.</param>
    /// <param name="source">The values to add.</param>
    /// <param name="alpha">The multiplier of <paramref name="source"/>.</param>
    /// <returns><paramref name="self"/>.</returns>
    public static Tensor IndexAdd_(Tensor self, long dim, Tensor index, Tensor source, double alpha)
    {
        ArgumentNullException.ThrowIfNull(self);
        using var a = alpha.ToScalar();
        self.index_add_(dim, index, source, a);
        GC.KeepAlive(a);
        return self;
    }

    /// <summary>In-place <c>self.index_add_(dim, index, source, alpha)</c> for integer tensors, with <paramref name="alpha"/> kept alive.</summary>
    /// <param name="self">The tensor to add into (modified in place).</param>
    /// <param name="dim">The dimension to index.</param>
    /// <param name="index">Int64 indices, one per slice of <paramref name="source"/> along <paramref name="dim"/>.</param>
    /// <param name="source">The values to add.</param>
    /// <param name="alpha">The multiplier of <paramref name="source"/>.</param>
    /// <returns><paramref name="self"/>.</returns>
    public static Tensor IndexAdd_(Tensor self, long dim, Tensor index, Tensor source, long alpha)
    {
        ArgumentNullException.ThrowIfNull(self);
        using var a = alpha.ToScalar();
        self.index_add_(dim, index, source, a);
        GC.KeepAlive(a);
        return self;
    }
}
