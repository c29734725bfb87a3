// The vector operations the Fuzzy ART search kernels need, as static abstract members, so that one
// generic kernel serves Vector512<T> and Vector<T>. The kernels are generic over a struct implementing
// ISimdLanes, which makes the JIT compile one specialised copy per vector type with every call inlined:
// the same instructions as a kernel written for that type by hand.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CausalVision.Clustering.Art;

/// <summary>Lane-wise operations on a SIMD vector <typeparamref name="TV"/> of <typeparamref name="T"/>.</summary>
/// <typeparam name="TV">The vector type.</typeparam>
/// <typeparam name="T">The element type.</typeparam>
internal interface ISimdLanes<TV, T>
    where TV : struct
    where T : unmanaged
{
    /// <summary>Gets the number of elements per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Gets the zero vector.</summary>
    static abstract TV Zero { get; }

    /// <summary>Broadcasts one value to every lane.</summary>
    static abstract TV Splat(T value);

    /// <summary>Loads a vector from <paramref name="source"/> + <paramref name="offset"/> elements.</summary>
    static abstract TV Load(ref T source, nuint offset);

    /// <summary>Stores a vector at <paramref name="destination"/> + <paramref name="offset"/> elements.</summary>
    static abstract void Store(TV value, ref T destination, nuint offset);

    /// <summary>acc + min(a, b) per lane (one vmin; differs from Math.Min only for NaN and the sign of zero).</summary>
    static abstract TV AddMin(TV acc, TV a, TV b);

    /// <summary>a + b per lane.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a / b per lane (correctly rounded, as scalar division).</summary>
    static abstract TV Divide(TV a, TV b);
}

/// <summary>Vector512 of double.</summary>
internal readonly struct Lanes512Double : ISimdLanes<Vector512<double>, double>
{
    public static int Count => Vector512<double>.Count;

    public static Vector512<double> Zero => Vector512<double>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Splat(double value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Load(ref double source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<double> value, ref double destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> AddMin(Vector512<double> acc, Vector512<double> a, Vector512<double> b) => acc + Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Divide(Vector512<double> a, Vector512<double> b) => a / b;
}

/// <summary>Vector&lt;double&gt; (the machine's preferred width).</summary>
internal readonly struct LanesDouble : ISimdLanes<Vector<double>, double>
{
    public static int Count => Vector<double>.Count;

    public static Vector<double> Zero => Vector<double>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Splat(double value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Load(ref double source, nuint offset) => Vector.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<double> value, ref double destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> AddMin(Vector<double> acc, Vector<double> a, Vector<double> b) => acc + Vector.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Add(Vector<double> a, Vector<double> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Divide(Vector<double> a, Vector<double> b) => a / b;
}

/// <summary>Vector512 of float.</summary>
internal readonly struct Lanes512Single : ISimdLanes<Vector512<float>, float>
{
    public static int Count => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Splat(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AddMin(Vector512<float> acc, Vector512<float> a, Vector512<float> b) => acc + Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
}

/// <summary>Vector&lt;float&gt; (the machine's preferred width).</summary>
internal readonly struct LanesSingle : ISimdLanes<Vector<float>, float>
{
    public static int Count => Vector<float>.Count;

    public static Vector<float> Zero => Vector<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Splat(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ref float source, nuint offset) => Vector.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> AddMin(Vector<float> acc, Vector<float> a, Vector<float> b) => acc + Vector.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Add(Vector<float> a, Vector<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Divide(Vector<float> a, Vector<float> b) => a / b;
}
