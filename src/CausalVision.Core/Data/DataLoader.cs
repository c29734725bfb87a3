// Mini-batch loader: seeded shuffling, batching and bounded background prefetch.
// Design: workers decode and transform into managed buffers (RawImageSample) and never touch
// TorchSharp for IRawImageDataset sources; the consumer thread collates them into tensors. So
// every tensor is created on the thread that disposes it (TorchSharp's leak statistics are per
// thread), and nothing in the prefetch channels ever needs disposing when an epoch is abandoned.
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using CausalVision.Imaging;
using CausalVision.Imaging.Transforms;
using TorchSharp;

namespace CausalVision.Data;

/// <summary>
/// Iterates a dataset in mini-batches: a seeded permutation per epoch, batching (optionally
/// dropping the last partial batch), per-sample transforms with randomness fixed by
/// (seed, epoch, index), and optional background decoding by N workers into bounded channels.
/// The batches are identical with and without workers.
/// </summary>
/// <example>
/// <code>
/// var loader = new DataLoader(dataset, new DataLoaderOptions { BatchSize = 64, Workers = 4 }, TransformPipeline.ImageNetTrain(224));
/// foreach (var batch in loader.GetBatches(epoch))
/// {
///     using (batch) { /* train on batch.Images, batch.Labels */ }
/// }
/// </code>
/// </example>
public sealed class DataLoader
{
    private readonly DataLoaderOptions options;

    /// <summary>Initializes a new instance of the <see cref="DataLoader"/> class.</summary>
    /// <param name="dataset">The dataset (thread-safe when <see cref="DataLoaderOptions.Workers"/> &gt; 0).</param>
    /// <param name="options">The options (copied). <value>null: defaults</value>.</param>
    /// <param name="transform">The per-sample transform. <value>null: none</value>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public DataLoader(IImageDataset dataset, DataLoaderOptions? options = null, IImageTransform? transform = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        this.options = (options ?? new DataLoaderOptions()).Clone();
        this.options.Validate();
        Dataset = dataset;
        Transform = transform;
    }

    /// <summary>Gets the dataset.</summary>
    public IImageDataset Dataset { get; }

    /// <summary>Gets the per-sample transform (null for none).</summary>
    public IImageTransform? Transform { get; }

    /// <summary>Gets a copy of the options.</summary>
    public DataLoaderOptions Options => options.Clone();

    /// <summary>Gets the number of batches per epoch.</summary>
    public int BatchCount
    {
        get
        {
            var n = Dataset.Count;
            var b = options.BatchSize;
            return options.DropLast ? n / b : (n + b - 1) / b;
        }
    }

    /// <summary>Returns the order in which epoch <paramref name="epoch"/> visits the dataset.</summary>
    /// <param name="epoch">The epoch (0-based).</param>
    /// <returns>A permutation of 0..Count-1 (the identity when shuffling is off).</returns>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (options.Shuffle)
        {
            new Random(TransformPipeline.SampleSeed(options.Seed, epoch, -1)).Shuffle(order);
        }

        return order;
    }

    /// <summary>
    /// Loads one sample as the loader would (decode, then the transform with the sample's seed),
    /// without tensors.
    /// </summary>
    /// <param name="index">The dataset index.</param>
    /// <param name="epoch">The epoch (affects the transform's randomness).</param>
    /// <returns>The decoded, transformed sample.</returns>
    /// <exception cref="SampleLoadException">Decoding or transforming failed (the inner exception says why).</exception>
    public RawImageSample LoadSample(int index, int epoch)
    {
        try
        {
            var raw = Dataset is IRawImageDataset r ? r.GetRaw(index) : FromTensorSample(index);
            if (Transform is not null)
            {
                var image = Transform.Apply(raw.Image, new Random(TransformPipeline.SampleSeed(options.Seed, epoch, index)));
                raw = raw with { Image = image };
            }

            return raw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new SampleLoadException(index, SafeId(index), ex);
        }
    }

    /// <summary>
    /// Enumerates the batches of one epoch. Each batch is created on the enumerating thread and
    /// owned by the caller, who disposes it. Stopping early (break, dispose, cancellation) stops
    /// the workers and leaves nothing behind.
    /// </summary>
    /// <param name="epoch">The epoch (0-based): selects the permutation and the transform randomness.</param>
    /// <param name="cancellationToken">Stops the epoch with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The batches in order.</returns>
    /// <exception cref="SampleLoadException">A sample failed to load (thrown when its batch is reached).</exception>
    public IEnumerable<Batch> GetBatches(int epoch = 0, CancellationToken cancellationToken = default)
    {
        var order = EpochOrder(epoch);
        var count = BatchCount;
        return options.Workers == 0 || count == 0
            ? Synchronous(order, count, epoch, cancellationToken)
            : Prefetched(order, count, epoch, cancellationToken);
    }

    private IEnumerable<Batch> Synchronous(int[] order, int count, int epoch, CancellationToken cancellationToken)
    {
        for (var b = 0; b < count; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var raw = LoadBatch(order, b, epoch, cancellationToken);
            yield return Batch.Collate(raw.Samples, raw.Indices, Dataset.Info);
        }
    }

    private IEnumerable<Batch> Prefetched(int[] order, int count, int epoch, CancellationToken cancellationToken)
    {
        var workers = Math.Min(options.Workers, count);
        var capacity = Math.Max(1, (options.PrefetchBatches + workers - 1) / workers);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channels = new Channel<RawBatch>[workers];
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            channels[w] = Channel.CreateBounded<RawBatch>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            tasks[w] = Task.Factory.StartNew(
                () => Work(worker, workers, order, count, epoch, channels[worker].Writer, cts.Token),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        try
        {
            // Batch b is produced by worker b % workers, in order: reading round-robin keeps the
            // batch order identical to the synchronous path.
            for (var b = 0; b < count; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var item = Read(channels[b % workers].Reader, cts.Token);
                if (item.Error is not null)
                {
                    ExceptionDispatchInfo.Capture(item.Error).Throw();
                }

                yield return Batch.Collate(item.Samples, item.Indices, Dataset.Info);
            }
        }
        finally
        {
            cts.Cancel();
            try
            {
                Task.WaitAll(tasks);
            }
            catch (AggregateException)
            {
                // Workers end by cancellation here; their real failures were delivered as items.
            }
        }
    }

    private static RawBatch Read(ChannelReader<RawBatch> reader, CancellationToken token)
    {
        while (true)
        {
            if (reader.TryRead(out var item))
            {
                return item;
            }

            if (!reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
            {
                token.ThrowIfCancellationRequested();
                throw new InvalidOperationException("A loader worker stopped before producing its batch.");
            }
        }
    }

    private void Work(int worker, int workers, int[] order, int count, int epoch, ChannelWriter<RawBatch> writer, CancellationToken token)
    {
        try
        {
            for (var b = worker; b < count; b += workers)
            {
                token.ThrowIfCancellationRequested();
                RawBatch item;
                try
                {
                    item = LoadBatch(order, b, epoch, token);
                }
                catch (SampleLoadException ex)
                {
                    item = new RawBatch([], [], ex);
                }

                Write(writer, item, token);
                if (item.Error is not null)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The consumer stopped; nothing is owned by the channel that needs disposing.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            writer.TryWrite(new RawBatch([], [], ex));
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private static void Write(ChannelWriter<RawBatch> writer, RawBatch item, CancellationToken token)
    {
        while (!writer.TryWrite(item))
        {
            if (!writer.WaitToWriteAsync(token).AsTask().GetAwaiter().GetResult())
            {
                return;
            }
        }
    }

    private RawBatch LoadBatch(int[] order, int batch, int epoch, CancellationToken token)
    {
        var start = batch * options.BatchSize;
        var end = Math.Min(start + options.BatchSize, order.Length);
        var samples = new RawImageSample[end - start];
        var indices = new int[end - start];
        for (var i = start; i < end; i++)
        {
            token.ThrowIfCancellationRequested();
            indices[i - start] = order[i];
            samples[i - start] = LoadSample(order[i], epoch);
        }

        return new RawBatch(samples, indices, null);
    }

    private RawImageSample FromTensorSample(int index)
    {
        using var scope = torch.NewDisposeScope();
        using var sample = Dataset.Get(index);
        return new RawImageSample(sample.Id, ImageBuffer.FromTensor(sample.Image), sample.Label, sample.Labels, sample.Tags);
    }

    private string SafeId(int index)
    {
        try
        {
            return Dataset is IRawImageDataset r ? r.GetId(index) : $"#{index}";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"#{index}";
        }
    }

    private sealed record RawBatch(RawImageSample[] Samples, int[] Indices, Exception? Error);
}
