using System.Globalization;
using CausalVision.Training;

namespace CausalVision.Tests.Training;

public sealed class TrainingProgressFormatTests
{
    [Fact]
    public void ToString_WithStageAndMetrics_ReadsAsOneLine()
    {
        var p = new TrainingProgress(1, 2, 4, 31, 32, 0.42134, 1e-3, TimeSpan.FromSeconds(12), new Dictionary<string, double> { ["acc1"] = 0.8125 });
        Assert.Equal("stage 1 epoch 2/4 step 31/32 loss 0.4213 lr 0.001 00:00:12 acc1 0.8125", p.ToString());
    }

    [Fact]
    public void ToString_SingleStageOtherCulture_NoStageInvariantNumbers()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var p = new TrainingProgress(0, 1, 1, 5, 10, 2.5, 0.0005, TimeSpan.FromMinutes(61), new Dictionary<string, double>());
            Assert.Equal("epoch 1/1 step 5/10 loss 2.5000 lr 0.0005 01:01:00", p.ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
