using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CausalVision.Clustering.Tests")]
