using CausalVision.Data;
using CausalVision.Imaging;

namespace CausalVision.Tests.Data;

/// <summary>In-memory dataset: sample i is a 3x4x4 image filled with i/100 plus a position ramp; class i % classes; tag i % tags.</summary>
internal sealed class RampDataset(int count, int classes = 3, int tags = 2, int failAt = -1) : IRawImageDataset
{
    public DatasetInfo Info { get; } = new("ramp", [.. Enumerable.Range(0, classes).Select(c => $"c{c}")], [.. Enumerable.Range(0, tags).Select(t => $"t{t}")], false);

    public int Count => count;

    public string GetId(int index) => $"img{index}";

    public RawImageSample GetRaw(int index)
    {
        if (index == failAt)
        {
            throw new InvalidDataException($"Image file 'img{index}.png' is corrupt.");
        }

        var data = Enumerable.Range(0, 48).Select(k => (index / 100f) + (k / 1000f)).ToArray();
        return new RawImageSample(GetId(index), new ImageBuffer(3, 4, 4, data), index % Info.ClassCount, [index % Info.ClassCount], Info.TagCount == 0 ? [] : [index % Info.TagCount]);
    }

    public ImageSample Get(int index)
    {
        var raw = GetRaw(index);
        return new ImageSample(raw.Id, raw.Image.ToTensor(), raw.Label, raw.Labels, raw.Tags);
    }
}

/// <summary>The same data behind the tensor-only contract (exercises the loader's tensor-copy path).</summary>
internal sealed class TensorOnlyDataset(int count) : IImageDataset
{
    private readonly RampDataset inner = new(count);

    public DatasetInfo Info => inner.Info;

    public int Count => count;

    public ImageSample Get(int index) => inner.Get(index);
}
