using CausalVision.Data;
using CausalVision.Imaging.Transforms;

namespace CausalVision.Tests.Data;

public sealed class DataLoaderTests
{
    private static readonly TransformPipeline RandomAugment = new(new RandomCrop(3, 3), new HorizontalFlip(), new ColorJitter(0.3, 0.3, 0.3));

    private static List<(float[] Images, long[] Labels, string[] Ids)> Snapshot(DataLoader loader, int epoch)
    {
        var result = new List<(float[], long[], string[])>();
        foreach (var batch in loader.GetBatches(epoch))
        {
            using (batch)
            {
                result.Add((batch.Images.data<float>().ToArray(), batch.Labels.data<long>().ToArray(), [.. batch.Ids]));
            }
        }

        return result;
    }

    [Fact]
    public void Options_Defaults_Pinned()
    {
        var o = new DataLoaderOptions();
        Assert.Equal((32, true, 0, false, 0, 4), (o.BatchSize, o.Shuffle, o.Seed, o.DropLast, o.Workers, o.PrefetchBatches));
    }

    [Fact]
    public void Ctor_InvalidOptions_ThrowsNamingField()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DataLoader(new RampDataset(4), new DataLoaderOptions { BatchSize = 0 }));
        Assert.Contains("BatchSize", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DataLoader(new RampDataset(4), new DataLoaderOptions { Workers = -1 }));
    }

    [Theory]
    [InlineData(10, 4, false, 3)]
    [InlineData(10, 4, true, 2)]
    [InlineData(8, 4, true, 2)]
    [InlineData(3, 4, true, 0)]
    public void BatchCount_DropLast_CountsBatches(int n, int size, bool dropLast, int expected)
    {
        var loader = new DataLoader(new RampDataset(n), new DataLoaderOptions { BatchSize = size, DropLast = dropLast });
        Assert.Equal(expected, loader.BatchCount);
        Assert.Equal(expected, Snapshot(loader, 0).Count);
    }

    [Fact]
    public void EpochOrder_SameSeed_SamePermutation_OtherEpochDiffers()
    {
        var a = new DataLoader(new RampDataset(50), new DataLoaderOptions { Seed = 3 });
        var b = new DataLoader(new RampDataset(50), new DataLoaderOptions { Seed = 3 });
        Assert.Equal(a.EpochOrder(1), b.EpochOrder(1));
        Assert.NotEqual(a.EpochOrder(1), a.EpochOrder(2));
        Assert.Equal(Enumerable.Range(0, 50), a.EpochOrder(1).Order());
        Assert.NotEqual(new DataLoader(new RampDataset(50), new DataLoaderOptions { Seed = 4 }).EpochOrder(1), a.EpochOrder(1));
    }

    [Fact]
    public void EpochOrder_NoShuffle_Identity()
    {
        var loader = new DataLoader(new RampDataset(7), new DataLoaderOptions { Shuffle = false });
        Assert.Equal(Enumerable.Range(0, 7), loader.EpochOrder(5));
    }

    [Fact]
    public void GetBatches_Collate_ImagesLabelsTargetsTagsIds()
    {
        var loader = new DataLoader(new RampDataset(5), new DataLoaderOptions { BatchSize = 2, Shuffle = false });
        using var batch = loader.GetBatches(0).First();
        TensorAssert.Shape(batch.Images, 2, 3, 4, 4);
        Assert.Equal(torch.int64, batch.Labels.dtype);
        Assert.Equal([0L, 1L], batch.Labels.data<long>().ToArray());
        TensorAssert.Values([1, 0, 0, 0, 1, 0], batch.LabelTargets);
        TensorAssert.Values([1, 0, 0, 1], batch.Tags);
        Assert.Equal(["img0", "img1"], batch.Ids);
        Assert.Equal([0, 1], batch.Indices);
        Assert.Equal(0.01f + 0.047f, batch.Images[1, 2, 3, 3].item<float>(), 1e-6f);
    }

    [Fact]
    public void GetBatches_SameSeed_Deterministic_WithRandomTransforms()
    {
        var options = new DataLoaderOptions { BatchSize = 4, Seed = 11 };
        var a = Snapshot(new DataLoader(new RampDataset(10), options, RandomAugment), 1);
        var b = Snapshot(new DataLoader(new RampDataset(10), options, RandomAugment), 1);
        Assert.Equal(a.Select(x => x.Images), b.Select(x => x.Images));
        var c = Snapshot(new DataLoader(new RampDataset(10), options, RandomAugment), 2);
        Assert.NotEqual(a.SelectMany(x => x.Ids), c.SelectMany(x => x.Ids));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 8)]
    public void GetBatches_Prefetch_SameBatchesAsSynchronous(int workers, int prefetch)
    {
        var sync = Snapshot(new DataLoader(new RampDataset(23), new DataLoaderOptions { BatchSize = 4, Seed = 5 }, RandomAugment), 3);
        var pre = Snapshot(new DataLoader(new RampDataset(23), new DataLoaderOptions { BatchSize = 4, Seed = 5, Workers = workers, PrefetchBatches = prefetch }, RandomAugment), 3);
        Assert.Equal(sync.Count, pre.Count);
        for (var i = 0; i < sync.Count; i++)
        {
            Assert.Equal(sync[i].Ids, pre[i].Ids);
            Assert.Equal(sync[i].Labels, pre[i].Labels);
            Assert.Equal(sync[i].Images, pre[i].Images);
        }
    }

    [Fact]
    public void GetBatches_TensorOnlyDataset_SameAsRawDataset()
    {
        var raw = Snapshot(new DataLoader(new RampDataset(9), new DataLoaderOptions { BatchSize = 4, Workers = 2 }), 0);
        var tensors = Snapshot(new DataLoader(new TensorOnlyDataset(9), new DataLoaderOptions { BatchSize = 4, Workers = 2 }), 0);
        Assert.Equal(raw.Select(x => x.Images), tensors.Select(x => x.Images));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void GetBatches_SampleFails_ThrowsWithSampleIdAndIndex(int workers)
    {
        var loader = new DataLoader(new RampDataset(20, failAt: 13), new DataLoaderOptions { BatchSize = 4, Shuffle = false, Workers = workers });
        var seen = 0;
        var ex = Assert.Throws<SampleLoadException>(() =>
        {
            foreach (var batch in loader.GetBatches(0))
            {
                batch.Dispose();
                seen++;
            }
        });
        Assert.Equal(13, ex.SampleIndex);
        Assert.Equal("img13", ex.SampleId);
        Assert.IsType<InvalidDataException>(ex.InnerException);
        Assert.Contains("img13.png", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, seen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void GetBatches_Cancelled_ThrowsOperationCanceled(int workers)
    {
        using var cts = new CancellationTokenSource();
        var loader = new DataLoader(new RampDataset(40), new DataLoaderOptions { BatchSize = 4, Workers = workers });
        var seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in loader.GetBatches(0, cts.Token))
            {
                batch.Dispose();
                if (++seen == 2)
                {
                    cts.Cancel();
                }
            }
        });
        Assert.Equal(2, seen);
    }

    [Fact]
    public void GetBatches_EarlyBreak_StopsWorkersAndNextEpochWorks()
    {
        var loader = new DataLoader(new RampDataset(40), new DataLoaderOptions { BatchSize = 2, Workers = 3, PrefetchBatches = 2 });
        foreach (var batch in loader.GetBatches(0))
        {
            batch.Dispose();
            break;
        }

        Assert.Equal(20, Snapshot(loader, 1).Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void GetBatches_FullEpoch_LeaksNoTensors(int workers)
    {
        var loader = new DataLoader(new RampDataset(17), new DataLoaderOptions { BatchSize = 4, Workers = workers }, RandomAugment);
        var tensorOnly = new DataLoader(new TensorOnlyDataset(9), new DataLoaderOptions { BatchSize = 4, Workers = workers });
        TensorLeaks.AssertNone(() =>
        {
            foreach (var batch in loader.GetBatches(0))
            {
                batch.Dispose();
            }

            foreach (var batch in tensorOnly.GetBatches(0))
            {
                batch.Dispose();
            }
        });
    }

    [Fact]
    public void Collate_DifferentSizes_ThrowsNamingSamples()
    {
        var samples = new[]
        {
            new RawImageSample("a", new CausalVision.Imaging.ImageBuffer(3, 2, 2), 0, [0], []),
            new RawImageSample("b", new CausalVision.Imaging.ImageBuffer(3, 3, 2), 0, [0], []),
        };
        var ex = Assert.Throws<InvalidDataException>(() => Batch.Collate(samples, [0, 1], new DatasetInfo("x", ["c"], [], false)));
        Assert.Contains("'b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Collate_LabelOutOfRange_Throws()
    {
        var samples = new[] { new RawImageSample("a", new CausalVision.Imaging.ImageBuffer(1, 1, 1), 2, [2], []) };
        Assert.Throws<InvalidDataException>(() => Batch.Collate(samples, [0], new DatasetInfo("x", ["c0", "c1"], [], false)));
    }

    [Fact]
    public void Collate_MultiLabel_MinusOneLabelsAndMultiHot()
    {
        var samples = new[] { new RawImageSample("a", new CausalVision.Imaging.ImageBuffer(1, 1, 1), -1, [0, 2], [1]) };
        using var batch = Batch.Collate(samples, [7], new DatasetInfo("x", ["c0", "c1", "c2"], ["t0", "t1"], true));
        Assert.Equal([-1L], batch.Labels.data<long>().ToArray());
        TensorAssert.Values([1, 0, 1], batch.LabelTargets);
        TensorAssert.Values([0, 1], batch.Tags);
    }

    [Fact]
    public void GetBatches_Shuffled_EpochVisitsEverySampleOnce()
    {
        var loader = new DataLoader(new RampDataset(23), new DataLoaderOptions { BatchSize = 5, Seed = 9, Workers = 2 });
        var ids = Snapshot(loader, 4).SelectMany(b => b.Ids).ToList();
        Assert.Equal(Enumerable.Range(0, 23).Select(i => $"img{i}").Order(), ids.Order());
        Assert.NotEqual(Enumerable.Range(0, 23).Select(i => $"img{i}"), ids);
    }

    [Fact]
    public void GetBatches_Prefetch_StaysWithinCapacity()
    {
        var counting = new CountingDataset(new RampDataset(200));
        var loader = new DataLoader(counting, new DataLoaderOptions { BatchSize = 2, Workers = 2, PrefetchBatches = 4 });
        using var e = loader.GetBatches(0).GetEnumerator();
        Assert.True(e.MoveNext());
        e.Current.Dispose();
        Thread.Sleep(300);
        // Consumed 1 batch; each of 2 workers may hold 2 queued batches plus 1 in progress.
        Assert.InRange(counting.Calls, 2, (1 + 4 + 2) * 2);
    }

    [Fact]
    public void DatasetLoadOptions_Defaults_Pinned()
    {
        var o = new DatasetLoadOptions();
        Assert.Equal((DataErrorPolicy.Throw, (bool?)null, true, false, false), (o.ErrorPolicy, o.RequireTags, o.CheckFilesExist, o.VerifyImages, o.Grayscale));
    }

    private sealed class CountingDataset(RampDataset inner) : IRawImageDataset
    {
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        public DatasetInfo Info => inner.Info;

        public int Count => inner.Count;

        public string GetId(int index) => inner.GetId(index);

        public RawImageSample GetRaw(int index)
        {
            Interlocked.Increment(ref calls);
            return inner.GetRaw(index);
        }

        public ImageSample Get(int index) => inner.Get(index);
    }
}
