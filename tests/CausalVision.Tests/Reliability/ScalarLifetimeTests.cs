using System.Reflection;
using CausalVision.Graph.Hetero;
using CausalVision.Runtime;

namespace CausalVision.Tests.Reliability;

/// <summary>
/// A TorchSharp <see cref="Scalar"/> made by an implicit conversion can be finalised while libtorch
/// still reads it; VseGraphBuilder's <c>index_add(..., 1.0)</c> aborted the process that way
/// (<c>toFloat at c10/core/Scalar.h</c>). Library code must pass such scalars through
/// <see cref="ScalarSafe"/>, which owns them across the native call.
/// </summary>
public sealed class ScalarLifetimeTests
{
    // Calls whose Scalar argument libtorch reads after doing work (index_add clones or checks first).
    private static readonly string[] LateScalarMethods = { "index_add", "index_add_" };

    // Every library assembly: the three layers and the methods on top.
    private static readonly Assembly[] LibraryAssemblies =
    {
        typeof(TorchRuntime).Assembly, typeof(VseGraphBuilder).Assembly, typeof(CausalVision.Clustering.KMeans.KMeans).Assembly, typeof(CausalVision.Vscnet.VscNet).Assembly,
    };

    [Fact]
    public void LibraryAssemblies_NeverCallIndexAddWithATemporaryScalar()
    {
        var assemblies = LibraryAssemblies;
        var offenders = new List<string>();
        foreach (var assembly in assemblies)
        {
            foreach (var type in assembly.GetTypes())
            {
                if (type == typeof(ScalarSafe))
                {
                    continue;
                }

                const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
                foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
                {
                    foreach (var callee in Callees(method))
                    {
                        if (callee.DeclaringType == typeof(Tensor) && LateScalarMethods.Contains(callee.Name)
                            && callee.GetParameters().Any(p => p.ParameterType == typeof(Scalar)))
                        {
                            offenders.Add($"{type.FullName}.{method.Name} calls Tensor.{callee.Name}");
                        }
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, "Use ScalarSafe instead: " + string.Join("; ", offenders));
    }

    [Fact]
    public void LibraryAssemblies_AddTensorsWithTorchSharpsImplicitAlphaNoMoreThanBefore()
    {
        // Tensor + Tensor and add/add_(Tensor) without an alpha make TorchSharp create the
        // alpha 1 as a temporary Scalar inside its own method: the same race (the causal-label decoder's residual
        // `x + y` aborted an experiment with "toFloat at c10/core/Scalar.h"). Library code passes ScalarSafe.One.
        var assemblies = LibraryAssemblies;
        var offenders = new List<string>();
        foreach (var assembly in assemblies)
        {
            foreach (var type in assembly.GetTypes())
            {
                const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
                foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
                {
                    foreach (var callee in Callees(method))
                    {
                        if (callee.DeclaringType == typeof(Tensor) && IsImplicitAlpha(callee))
                        {
                            offenders.Add($"{type.FullName}.{method.Name} calls Tensor.{callee.Name}");
                        }
                    }
                }
            }
        }

        // A ratchet that has reached zero: every library site passes ScalarSafe.One (the model paths, the losses, the
        // ONNX importer, the clustering and the training heads); no new site may appear.
        const int Remaining = 0;
        Assert.True(offenders.Count <= Remaining, $"{offenders.Count} call(s), more than the {Remaining} still to convert; use ScalarSafe.Add / Add_ (or pass ScalarSafe.One) in new code: " + string.Join("; ", offenders.Distinct()));
    }

    private static bool IsImplicitAlpha(MethodBase callee)
    {
        var ps = callee.GetParameters();
        return callee.Name switch
        {
            // TorchSharp's sub(Tensor) passes no alpha (THSTensor_sub); add(Tensor) calls add(target, 1).
            "op_Addition" => ps.Length == 2 && ps[0].ParameterType == typeof(Tensor) && ps[1].ParameterType == typeof(Tensor),
            "add" or "add_" => ps.Length == 1 && ps[0].ParameterType == typeof(Tensor),
            _ => false,
        };
    }

    [Fact]
    public void Build_UnderConcurrentFinalization_NeverReadsAFreedScalar()
    {
        // Before the fix this aborted the test host (native) within a few hundred builds on a
        // loaded machine; the GC thread forces collections and finalisers during the native calls.
        var builder = new VseGraphBuilder(new VseGraphOptions { TopTags = 6, RegionTopTags = 3 });
        RunWithGcPressure(() =>
        {
            using var scope = NewDisposeScope();
            manual_seed(1);
            var inputs = new VseGraphInputs
            {
                RegionFeatures = randn(32, 8, 16),
                RefinedTagProbabilities = rand(32, 8, 20),
                TagEmbeddings = randn(20, 16),
                PrototypeFeatures = randn(10, 16),
                MatchedPrototypes = randint(0, 10, new long[] { 32, 8 }),
                MatchSimilarity = rand(32, 8),
                PrototypeTagDistribution = rand(10, 20),
            };
            for (var i = 0; i < 200; i++)
            {
                using var inner = NewDisposeScope();
                using var g = builder.Build(inputs);
                Assert.Equal(32, g.Graph.Adjacency.shape[0]);
            }
        });
    }

    // Runs body while another thread forces collections and runs finalisers back to back.
    private static void RunWithGcPressure(Action body)
    {
        var stop = 0;
        var gc = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        gc.Start();
        try
        {
            body();
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            gc.Join();
        }
    }

    [Fact]
    public void IndexAdd_UnderConcurrentFinalization_KeepsAlphaAlive()
    {
        // The raw x.index_add(0, idx, src, 1.0) in this loop aborts with "toFloat at c10/core/Scalar.h"
        // within a few hundred iterations when run with DOTNET_TieredCompilation=0 (optimised code from
        // the first call): the clone of x gives the finaliser time to free alpha before libtorch reads it.
        RunWithGcPressure(() =>
        {
            using var scope = NewDisposeScope();
            var x = zeros(2_000_000);
            var idx = arange(1000, dtype: ScalarType.Int64);
            var src = ones(1000);
            for (var i = 0; i < 300; i++)
            {
                using var inner = NewDisposeScope();
                var y = ScalarSafe.IndexAdd(x, 0, idx, src, 1.0);
                Assert.Equal(1f, y[0].item<float>());
            }
        });
    }

    [Fact]
    public void IndexAdd_MatchesTorchSharp_AndLeavesNoTensor()
    {
        using var scope = NewDisposeScope();
        var x = arange(6, dtype: float32).reshape(3, 2);
        var idx = tensor(new long[] { 2, 0 });
        var src = ones(2, 2);
        TensorLeaks.AssertNone(() => ScalarSafe.IndexAdd(x, 0, idx, src, -2.0).Dispose());
        using var y = ScalarSafe.IndexAdd(x, 0, idx, src, -2.0);
        TensorAssert.Values(new float[] { -2, -1, 2, 3, 2, 3 }, y, 0);
        TensorAssert.Values(new float[] { 0, 1, 2, 3, 4, 5 }, x, 0);
        var counts = zeros(3, ScalarType.Int64);
        ScalarSafe.IndexAdd_(counts, 0, tensor(new long[] { 1, 1, 2 }), ones(3, ScalarType.Int64), 2L);
        Assert.Equal(new long[] { 0, 4, 2 }, counts.data<long>().ToArray());
    }

    // The methods a method body calls, from its IL (call / callvirt / newobj tokens).
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (InvalidOperationException)
        {
            yield break;
        }

        if (il is null)
        {
            yield break;
        }

        for (var i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (0x28 or 0x6F or 0x73))
            {
                continue;
            }

            var token = BitConverter.ToInt32(il, i + 1);
            if ((token >> 24) is not (0x0A or 0x06 or 0x2B))
            {
                continue;
            }

            MethodBase? callee = null;
            try
            {
                callee = method.Module.ResolveMethod(token, method.DeclaringType?.GetGenericArguments(), method.IsGenericMethod ? method.GetGenericArguments() : null);
            }
            catch (ArgumentException)
            {
            }
            catch (BadImageFormatException)
            {
            }

            if (callee is not null)
            {
                yield return callee;
            }
        }
    }
}
