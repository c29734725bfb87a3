using CausalVision.Data;
using CausalVision.Imaging;

namespace CausalVision.Tests.Training;

/// <summary>
/// Sample i: a 3x4x4 image whose channel (i % classes) % 3 is bright (0.8 + noise), the others dark; class i % classes.
/// Multi-label: labels {i % classes, (i + 1) % classes}. Separable by a linear model on the channel means.
/// </summary>
internal sealed class ColorDataset(int count, int classes = 3, bool multiLabel = false) : IRawImageDataset
{
    public DatasetInfo Info { get; } = new("color", [.. Enumerable.Range(0, classes).Select(c => $"c{c}")], [], multiLabel);

    public int Count => count;

    public string GetId(int index) => $"img{index}";

    public RawImageSample GetRaw(int index)
    {
        var label = index % classes;
        var data = new float[48];
        var rng = new Random(index);
        for (var k = 0; k < 48; k++)
        {
            var bright = k / 16 == label % 3;
            data[k] = (bright ? 0.8f : 0.1f) + (float)(rng.NextDouble() * 0.1);
        }

        IReadOnlyList<int> labels = multiLabel ? [label, (index + 1) % classes] : [label];
        return new RawImageSample(GetId(index), new ImageBuffer(3, 4, 4, data), multiLabel ? -1 : label, [.. labels.Distinct().Order()], []);
    }

    public ImageSample Get(int index)
    {
        var raw = GetRaw(index);
        return new ImageSample(raw.Id, raw.Image.ToTensor(), raw.Label, raw.Labels, raw.Tags);
    }
}
