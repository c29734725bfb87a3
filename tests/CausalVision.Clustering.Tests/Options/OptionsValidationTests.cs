using CausalVision.Clustering.Art;
using CausalVision.Clustering.Hierarchy;
using CausalVision.Clustering.KMeans;

namespace CausalVision.Clustering.Tests.Options;

public sealed class OptionsValidationTests
{
    [Fact]
    public void EveryOptionsClass_HasSourceGeneratedValidator()
    {
        OptionsValidatorChecks.EveryOptionsTypeHasGeneratedValidator(
            typeof(KMeansOptions).Assembly, typeof(KMeansOptions), typeof(ArtOptions), typeof(HierarchyOptions));
    }

    [Fact]
    public void Validate_Defaults_Pass()
    {
        new KMeansOptions().Validate();
        new ArtOptions().Validate();
        new HierarchyOptions().Validate();
    }

    [Fact]
    public void KMeansOptions_TwoBadProperties_ReportsBoth()
    {
        OptionsValidatorChecks.ReportsAll(
            () => new KMeansOptions { Clusters = 0, Tolerance = double.NaN, Kernel = (KMeansKernel)42 }.Validate(),
            nameof(KMeansOptions), "KMeansOptions.Clusters", "KMeansOptions.Tolerance", "Kernel");
    }

    [Fact]
    public void ArtOptions_TwoBadProperties_ReportsBoth()
    {
        OptionsValidatorChecks.ReportsAll(
            () => new ArtOptions { Vigilance = 1.5, Alpha = double.PositiveInfinity }.Validate(),
            nameof(ArtOptions), "ArtOptions.Vigilance", "ArtOptions.Alpha");
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void ArtOptions_SigmaOutsideHalfOpenUnit_Fails(double sigma)
    {
        OptionsValidatorChecks.ReportsAll(() => new ArtOptions { Sigma = sigma }.Validate(), nameof(ArtOptions), "ArtOptions.Sigma");
    }

    [Fact]
    public void HierarchyOptions_NestedAndCrossFieldProblems_ReportsAll()
    {
        var o = new HierarchyOptions { PurityThreshold = 2, MinMembers = 0 };
        o.Art.Beta = 0;
        o.Art.ComplementCode = false;
        OptionsValidatorChecks.ReportsAll(
            o.Validate, nameof(HierarchyOptions), "HierarchyOptions.PurityThreshold", "HierarchyOptions.MinMembers", "HierarchyOptions.Art.Beta", "ComplementCode");
    }

    [Fact]
    public void HierarchyOptions_NullArt_Fails()
    {
        OptionsValidatorChecks.ReportsAll(() => new HierarchyOptions { Art = null! }.Validate(), nameof(HierarchyOptions), "Art");
    }
}
