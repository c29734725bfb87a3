using CausalVision.Clustering.KMeans;
using KMeansModel = CausalVision.Clustering.KMeans.KMeans;

namespace CausalVision.Clustering.Tests.KMeans;

/// <summary>Fit from given initial centres (scikit-learn's init=ndarray), used by the comparison harness.</summary>
public sealed class KMeansInitTests
{
    [Fact]
    public void Fit_WithInitialCentres_ConvergesToHandComputedMeans()
    {
        // Two groups on a line; starting centres 0 and 10 assign {0,1,2} and {9,11}: means 1 and 10.
        using var x = tensor(new float[] { 0, 1, 2, 9, 11 }, [5, 1]);
        using var init = tensor(new float[] { 0, 10 }, [2, 1]);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 2 }).Fit(x, init);
        using var c = km.GetCenters();
        TensorAssert.Values([1f, 10f], c);
        Assert.Equal(2.0 + 2.0, km.Inertia, 6); // (1+0+1) + (1+1)
        Assert.True(km.Converged);
        TensorAssert.Values([0f, 10f], init); // the caller's tensor is untouched
    }

    [Fact]
    public void Fit_WithInitialCentres_MatchesBruteForceLloyd()
    {
        manual_seed(5);
        using var x = randn(200, 3);
        using var init = x.narrow(0, 0, 4).clone();
        using var km = new KMeansModel(new KMeansOptions { Clusters = 4, Tolerance = 0, MaxIterations = 50 }).Fit(x, init);

        // Independent Lloyd on doubles.
        var data = x.data<float>().ToArray();
        var c = init.data<float>().Select(v => (double)v).ToArray();
        for (var it = 0; it < 50; it++)
        {
            var sums = new double[12];
            var counts = new int[4];
            for (var i = 0; i < 200; i++)
            {
                var best = 0;
                var bestD = double.MaxValue;
                for (var k = 0; k < 4; k++)
                {
                    var d = 0.0;
                    for (var j = 0; j < 3; j++)
                    {
                        d += Math.Pow(data[i * 3 + j] - c[k * 3 + j], 2);
                    }

                    if (d < bestD)
                    {
                        bestD = d;
                        best = k;
                    }
                }

                counts[best]++;
                for (var j = 0; j < 3; j++)
                {
                    sums[best * 3 + j] += data[i * 3 + j];
                }
            }

            for (var k = 0; k < 4; k++)
            {
                for (var j = 0; j < 3; j++)
                {
                    c[k * 3 + j] = counts[k] == 0 ? c[k * 3 + j] : sums[k * 3 + j] / counts[k];
                }
            }
        }

        using var centres = km.GetCenters();
        TensorAssert.Values(c.Select(v => (float)v).ToArray(), centres, atol: 1e-4);
    }

    [Fact]
    public void Fit_WithWrongInitialShape_Throws()
    {
        using var x = randn(10, 3);
        using var init = randn(3, 3);
        using var km = new KMeansModel(new KMeansOptions { Clusters = 2 });
        var ex = Assert.Throws<ArgumentException>(() => km.Fit(x, init));
        Assert.Contains("Initial centres must be [2, 3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_WithInitialCentres_LeaksNothing()
    {
        using var x = randn(50, 2);
        using var init = x.narrow(0, 0, 3).clone();
        using var km = new KMeansModel(new KMeansOptions { Clusters = 3 });
        TensorLeaks.AssertNone(() => km.Fit(x, init), allowed: 1); // the fitted centres the model keeps
    }
}
