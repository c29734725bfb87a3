// The image input pipeline, the .NET side of the pair whose PyTorch twin is benchmarks/peers/image_pipeline.py, and
// the image folder both sides read.
//
//   image-pipeline --data DIR [--batch 64] [--image-size 224] [--workers 2] [--batches 8] [--warmup 2] [--seed 0] [--threads 1]
//   make-images --out DIR [--count 640] [--seed 0] [--classes 10] [--min-side 256] [--max-side 500] [--quality 90]
//
// image-pipeline: what a training job's input side does, with the library's own pieces: ImageFolderDataset (one
// sub-folder per class, JPEG and PNG files), TransformPipeline.ImageNetTrain (RandomResizedCrop to --image-size with
// area scale 0.08-1 and ratio 3/4-4/3, horizontal flip p 0.5, ImageNet Normalize; decoding gives [0, 1] floats, i.e.
// ToTensor) and the DataLoader (shuffled, last partial batch dropped, --workers background workers, each decoding and
// transforming whole batches; the consuming thread collates them into tensors). --warmup batches are drawn untimed
// (they cover the workers' start), then --batches timed ones; epochs follow one another when one epoch is too short.
// The result is images per second over the timed batches (one value per process, so compare.py's median is the
// median of rounds), with the time spent waiting for each batch beside it.
//
// Threads: TorchSharp's intra-op threads default to 1 here, as the peer's torch.set_num_threads(1) (resnet18_step.py's
// convention; compare.py passes --threads to both). They only touch the collation: the workers never call libtorch.
//
// make-images: a fixed ImageFolder tree both sides read: --count images over --classes class folders, even indices
// JPEG (--quality), odd indices PNG. Each image is a scene of the library's synthetic benchmark (textured background,
// coloured shapes) rendered at 256 px, resized bilinearly to a seeded width and height in [--min-side, --max-side],
// with seeded pixel noise (+-3%) so that the files carry photo-like detail rather than flat colour. Everything is a
// function of --seed. images.json at the root (ignored by both loaders) records the parameters.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CausalVision.Data;
using CausalVision.Data.Layouts;
using CausalVision.Imaging;
using CausalVision.Imaging.Transforms;
using CausalVision.Synthetic;
using SkiaSharp;

namespace CausalVision.Compare;

/// <summary>The <c>image-pipeline</c> and <c>make-images</c> commands (see the file header).</summary>
internal static class ImagePipelineCase
{
    /// <summary>The name of the parameter file <c>make-images</c> writes at the root of the folder.</summary>
    public const string ManifestName = "images.json";

    /// <summary>The <c>image-pipeline</c> command.</summary>
    public static Command Command()
    {
        var data = CaseOptions.Required<string>("--data", "DIR", "The image folder: one sub-folder per class (make-images writes one).");
        var batch = CaseOptions.Int("--batch", 64, "Batch size.");
        var imageSize = CaseOptions.Int("--image-size", 224, "Side of the RandomResizedCrop output in pixels.");
        var workers = CaseOptions.Int("--workers", 2, "Background loader workers (DataLoaderOptions.Workers).");
        var batches = CaseOptions.Int("--batches", 8, "Timed batches.");
        var warmup = CaseOptions.Int("--warmup", 2, "Untimed batches before them (the workers' start).");
        var seed = CaseOptions.Int("--seed", 0, "Seed of the shuffling and of the random crops and flips.");
        var command = new Command("image-pipeline", "JPEG/PNG image-folder input pipeline (decode, RandomResizedCrop, flip, normalise, batch) with the library's DataLoader: images/s.")
        {
            data, batch, imageSize, workers, batches, warmup, seed,
        };
        command.SetCase(
            r => Run(r.GetRequiredValue(data), r.GetValue(batch), r.GetValue(imageSize), r.GetValue(workers), r.GetValue(batches), r.GetValue(warmup), r.GetValue(seed)),
            defaultThreads: 1);
        return command;
    }

    /// <summary>The <c>make-images</c> command.</summary>
    public static Command MakeImagesCommand()
    {
        var outDir = CaseOptions.Required<string>("--out", "DIR", "The folder to write (created; existing files of the same names are replaced).");
        var count = CaseOptions.Int("--count", 640, "Images in all.");
        var seed = CaseOptions.Int("--seed", 0, "Seed of the scenes, sizes and noise.");
        var classes = CaseOptions.Int("--classes", 10, "Class folders (the synthetic benchmark's classes).");
        var minSide = CaseOptions.Int("--min-side", 256, "Smallest width or height in pixels.");
        var maxSide = CaseOptions.Int("--max-side", 500, "Largest width or height in pixels.");
        var quality = CaseOptions.Int("--quality", 90, "JPEG quality (1-100).");
        var command = new Command("make-images", "Writes a fixed ImageFolder tree (half JPEG, half PNG, varied sizes) for image-pipeline and image_pipeline.py.")
        {
            outDir, count, seed, classes, minSide, maxSide, quality,
        };

        // Managed code only (rendering, resizing, encoding): no libtorch to load.
        command.SetAction(r => MakeImages(r.GetRequiredValue(outDir), r.GetValue(count), r.GetValue(seed), r.GetValue(classes), r.GetValue(minSide), r.GetValue(maxSide), r.GetValue(quality)));
        return command;
    }

    private static int Run(string root, int batch, int imageSize, int workers, int batches, int warmup, int seed)
    {
        if (batch < 1 || imageSize < 1 || workers < 0 || batches < 1 || warmup < 0)
        {
            throw new ArgumentException("image-pipeline: need --batch >= 1, --image-size >= 1, --workers >= 0, --batches >= 1, --warmup >= 0.");
        }

        if (!Directory.Exists(root))
        {
            throw new ArgumentException($"image-pipeline: '{root}' does not exist; write one with make-images --out {root}.");
        }

        var dataset = ImageFolderDataset.Load(root);
        var options = new DataLoaderOptions { BatchSize = batch, Shuffle = true, DropLast = true, Seed = seed, Workers = workers };
        var loader = new DataLoader(dataset, options, TransformPipeline.ImageNetTrain(imageSize));
        if (loader.BatchCount == 0)
        {
            throw new ArgumentException($"image-pipeline: '{root}' holds {dataset.Count} images, fewer than one batch of {batch}.");
        }

        var waits = new List<double>(batches);
        var images = 0;
        double pixelMean = double.NaN;
        using var stream = Batches(loader).GetEnumerator();
        for (var i = 0; i < warmup; i++)
        {
            stream.MoveNext();
            stream.Current.Dispose();
        }

        var total = Stopwatch.StartNew();
        for (var i = 0; i < batches; i++)
        {
            var wait = Stopwatch.StartNew();
            stream.MoveNext();
            waits.Add(wait.Elapsed.TotalMilliseconds);
            using var b = stream.Current;
            images += b.Size;
            if (i == batches - 1)
            {
                // The clock stops at the last batch's arrival; its mean is a cheap check that the pixels are
                // ImageNet-normalised (both sides report it).
                total.Stop();
                pixelMean = b.Images.mean().item<float>();
            }
        }

        var elapsed = total.Elapsed.TotalMilliseconds;
        Result.Print(Result.TorchSharpImpl + " (CausalVision DataLoader, ImageNetTrain)", "images_per_s", [images / (elapsed / 1000.0)], new Dictionary<string, object>
        {
            ["elapsed_ms"] = elapsed,
            ["images"] = images,
            ["batch_ms"] = waits.ToArray(),
            ["dataset_images"] = dataset.Count,
            ["batch"] = batch,
            ["workers"] = workers,
            ["image_size"] = imageSize,
            ["pixel_mean"] = pixelMean,
        });
        return 0;
    }

    // Epoch after epoch of the loader's batches; the caller disposes each one.
    private static IEnumerable<Batch> Batches(DataLoader loader)
    {
        for (var epoch = 0; ; epoch++)
        {
            foreach (var batch in loader.GetBatches(epoch))
            {
                yield return batch;
            }
        }
    }

    private static int MakeImages(string outDir, int count, int seed, int classes, int minSide, int maxSide, int quality)
    {
        if (count < 1 || classes < 2 || minSide < 16 || maxSide < minSide || quality is < 1 or > 100)
        {
            throw new ArgumentException("make-images: need --count >= 1, --classes >= 2, 16 <= --min-side <= --max-side, 1 <= --quality <= 100.");
        }

        const int renderSize = 256;
        var sw = Stopwatch.StartNew();
        var bench = SyntheticBenchmark.Generate(new SyntheticBenchmarkOptions
        {
            Seed = seed,
            ImageSize = renderSize,
            ClassCount = classes,
            TrainSize = count,
            TestIidSize = 1,
            TestOodSize = 1,
        });
        var split = bench.Train;
        var digits = Math.Max(5, (count - 1).ToString(CultureInfo.InvariantCulture).Length);
        var perClass = new int[classes];
        long jpegBytes = 0, pngBytes = 0;
        var jpegs = 0;
        for (var i = 0; i < count; i++)
        {
            // One random source per image, a pure function of (seed, index).
            var rng = new Random(TransformPipeline.SampleSeed(seed, 1, i));
            var label = split.Describe(i).Label;
            var scene = new ImageBuffer(3, renderSize, renderSize, split.Render(i));
            var image = new Resize(rng.Next(minSide, maxSide + 1), rng.Next(minSide, maxSide + 1)).Apply(scene, rng);
            var pixels = image.Data;
            for (var k = 0; k < pixels.Length; k++)
            {
                pixels[k] += (rng.NextSingle() - 0.5f) * 0.06f; // Encode clamps to [0, 1]
            }

            var jpeg = i % 2 == 0;
            var bytes = Encode(image, jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, quality);
            var dir = Path.Combine(outDir, bench.Info.Classes[label]);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, i.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + (jpeg ? ".jpg" : ".png")), bytes);
            perClass[label]++;
            if (jpeg)
            {
                jpegs++;
                jpegBytes += bytes.Length;
            }
            else
            {
                pngBytes += bytes.Length;
            }
        }

        var manifest = new Dictionary<string, object>
        {
            ["images"] = count,
            ["seed"] = seed,
            ["classes"] = classes,
            ["min_side"] = minSide,
            ["max_side"] = maxSide,
            ["quality"] = quality,
            ["jpeg"] = jpegs,
            ["png"] = count - jpegs,
            ["jpeg_mib"] = Math.Round(jpegBytes / 1048576.0, 2),
            ["png_mib"] = Math.Round(pngBytes / 1048576.0, 2),
            ["per_class"] = perClass,
        };
        var json = JsonSerializer.Serialize(manifest);
        File.WriteAllText(Path.Combine(outDir, ManifestName), json + "\n");
        manifest["out"] = Path.GetFullPath(outDir);
        manifest["make_ms"] = Math.Round(sw.Elapsed.TotalMilliseconds, 1);
        Console.WriteLine(JsonSerializer.Serialize(manifest));
        return 0;
    }

    // 8-bit RGB JPEG or PNG of a 3-channel image in [0, 1]. The bitmap is declared opaque, so the PNG is written as
    // RGB (colour type 2), as photos are, not as RGBA with a constant alpha (which ImageDecoder.EncodePng writes and
    // which would make the PNG files a third larger and cost PIL an RGBA-to-RGB conversion).
    private static byte[] Encode(ImageBuffer image, SKEncodedImageFormat format, int quality)
    {
        var plane = image.Height * image.Width;
        var rgba = new byte[plane * 4];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                rgba[(i * 4) + c] = (byte)MathF.Round(Math.Clamp(image.Data[(c * plane) + i], 0f, 1f) * 255f);
            }

            rgba[(i * 4) + 3] = 255;
        }

        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var encoded = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}.");
        return encoded.ToArray();
    }
}
