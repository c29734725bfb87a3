using System.Buffers.Binary;
using CausalVision.Data;
using CausalVision.Data.Layouts;
using CausalVision.Tests.Data.Layouts;
using CausalVision.Training;
using CausalVision.Weights;

namespace CausalVision.Tests.Reliability;

/// <summary>
/// Seeded mutation fuzzing of every file parser in Core: each mutant loads with valid invariants or
/// throws <see cref="InvalidDataException"/> (never another exception type, never a native abort).
/// <see cref="Fuzzer.Iterations"/> mutants per format (2,000 in CI; <c>./build.sh fuzz --iterations N</c> for more).
/// </summary>
public sealed class ParserFuzzTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public void Dispose() => f.Dispose();

    private int calls;

    // Alternates the error policy so both the throwing and the skip-and-report paths are fuzzed.
    private DatasetLoadOptions NextOptions() => new() { ErrorPolicy = calls++ % 2 == 0 ? DataErrorPolicy.Throw : DataErrorPolicy.SkipAndReport };

    private void CheckDataset(ImageFileDataset ds)
    {
        Assert.Equal(ds.Count, ds.Entries.Count);
        var root = DatasetBuilderRealRoot();
        foreach (var e in ds.Entries)
        {
            Assert.InRange(e.Label, -1, ds.Info.ClassCount - 1);
            Assert.All(e.Labels, l => Assert.InRange(l, 0, ds.Info.ClassCount - 1));
            Assert.All(e.Tags, t => Assert.InRange(t, 0, ds.Info.TagCount - 1));
            Assert.NotEmpty(e.Labels);
            Assert.True(File.Exists(e.Path), e.Path);
            Assert.StartsWith(root, Path.GetFullPath(e.Path), StringComparison.Ordinal);
        }

        Assert.Equal(ds.Entries.Count, ds.Entries.Select(e => e.Id).Distinct().Count());
        Assert.Equal(ds.Entries.Count, ds.Entries.Select(e => Path.GetFullPath(e.Path)).Distinct().Count());
    }

    private string DatasetBuilderRealRoot() => Path.GetFullPath(f.Root) + Path.DirectorySeparatorChar;

    private void ManifestFixture()
    {
        f.Text("dataset.json", "{\"name\": \"fz\", \"classes\": [\"soup\", \"cake\"], \"tags\": [\"red\", \"round\"], \"multiLabel\": false, \"splits\": {\"train\": \"train.csv\", \"test\": \"test.jsonl\"}}");
        f.Png("img/a.png");
        f.Png("img/b.png");
        f.Png("img/c d.png");
    }

    [Fact]
    public void SafeTensors_Mutants_LoadOrThrowInvalidData()
    {
        byte[] seed;
        using (var scope = NewDisposeScope())
        {
            using var ms = new MemoryStream();
            SafeTensors.Save(ms, new Dictionary<string, Tensor> { ["a.weight"] = randn(3, 2), ["a.bias"] = zeros(3, dtype: ScalarType.Float16), ["n"] = tensor(new long[] { 1, 2 }) }, new Dictionary<string, string> { ["format"] = "pt" });
            seed = ms.ToArray();
        }

        Fuzzer.Run<InvalidDataException>("safetensors", seed, bytes =>
        {
            using var scope = NewDisposeScope();
            using var loaded = SafeTensors.Load(new MemoryStream(bytes), "fuzz.safetensors");
            foreach (var (name, t) in loaded)
            {
                Assert.False(string.IsNullOrEmpty(name));
                Assert.True(t.numel() >= 0);
            }
        }, seed: 1);
    }

    [Fact]
    public void DatasetJson_Mutants_ReadOrThrowInvalidData()
    {
        ManifestFixture();
        var seed = File.ReadAllBytes(f.PathOf("dataset.json"));
        Fuzzer.Run<InvalidDataException>("dataset.json", seed, bytes =>
        {
            File.WriteAllBytes(f.PathOf("dataset.json"), bytes);
            var m = DatasetManifest.Read(f.Root);
            Assert.NotEmpty(m.Classes);
            Assert.Equal(m.Classes.Count, m.Classes.Distinct().Count());
            Assert.Equal(m.Tags.Count, m.Tags.Distinct().Count());
        }, seed: 2);
    }

    [Fact]
    public void ManifestCsv_Mutants_LoadOrThrowInvalidData()
    {
        ManifestFixture();
        var seed = Fuzzer.Utf8("path,labels,tags\nimg/a.png,soup,red;round\n\"img/c d.png\",cake,\nimg/b.png,cake,red\n");
        Fuzzer.Run<InvalidDataException>("manifest CSV", seed, bytes =>
        {
            File.WriteAllBytes(f.PathOf("train.csv"), bytes);
            CheckDataset(ManifestDataset.Load(f.Root, "train", NextOptions()));
        }, seed: 3);
    }

    [Fact]
    public void ManifestJsonLines_Mutants_LoadOrThrowInvalidData()
    {
        ManifestFixture();
        var seed = Fuzzer.Utf8("{\"path\": \"img/a.png\", \"labels\": [\"soup\"], \"tags\": \"red;round\"}\n{\"path\": \"img/b.png\", \"labels\": \"cake\", \"tags\": []}\n");
        Fuzzer.Run<InvalidDataException>("manifest JSONL", seed, bytes =>
        {
            File.WriteAllBytes(f.PathOf("test.jsonl"), bytes);
            CheckDataset(ManifestDataset.Load(f.Root, "test", NextOptions()));
        }, seed: 4);
    }

    [Fact]
    public void Coco_Mutants_LoadOrThrowInvalidData()
    {
        f.Png("images/1.png");
        f.Png("images/2.png");
        var seed = Fuzzer.Utf8("{\"images\": [{\"id\": 1, \"file_name\": \"1.png\"}, {\"id\": 2, \"file_name\": \"2.png\"}], \"annotations\": [{\"image_id\": 1, \"category_id\": 7}, {\"image_id\": 2, \"category_id\": 9}, {\"image_id\": 2, \"category_id\": 7}], \"categories\": [{\"id\": 7, \"name\": \"dog\"}, {\"id\": 9, \"name\": \"cat\"}]}");
        Fuzzer.Run<InvalidDataException>("COCO", seed, bytes =>
        {
            File.WriteAllBytes(f.PathOf("ann.json"), bytes);
            CheckDataset(CocoDataset.Load(f.PathOf("ann.json"), f.PathOf("images"), NextOptions()));
        }, seed: 5);
    }

    [Fact]
    public void NusWideTagMatrix_Mutants_LoadOrThrowInvalidData()
    {
        f.Text("ImageList/TrainImagelist.txt", "actor\\0001_2124494179.jpg", "airport\\0002_1.jpg", "airport\\0003_2.jpg");
        f.Jpeg("Flickr/actor/0001_2124494179.jpg");
        f.Jpeg("Flickr/airport/0002_1.jpg");
        f.Jpeg("Flickr/airport/0003_2.jpg");
        f.Text("Concepts81.txt", "airport", "animal", "sky");
        f.Text("NUS_WID_Tags/TagList1k.txt", "blue", "plane", "cat", "people");
        f.Text("Groundtruth/TrainTestLabels/Labels_airport_Train.txt", "0\n1\n1");
        f.Text("Groundtruth/TrainTestLabels/Labels_animal_Train.txt", "0\n0\n0");
        f.Text("Groundtruth/TrainTestLabels/Labels_sky_Train.txt", "0\n1\n0");
        var seed = Fuzzer.Utf8("0\t0\t0\t1\t\n1\t1\t0\t0\t\n0\t0\t0\t0\t\n");
        var list = File.ReadAllBytes(f.PathOf("ImageList/TrainImagelist.txt"));
        var k = 0;
        Fuzzer.Run<InvalidDataException>("NUS-WIDE", seed, bytes =>
        {
            // Alternate between mutating the tag matrix and the image list.
            var tags = k % 2 == 0 ? bytes : seed;
            File.WriteAllBytes(f.PathOf("NUS_WID_Tags/Train_Tags1k.dat"), tags);
            File.WriteAllBytes(f.PathOf("ImageList/TrainImagelist.txt"), k++ % 2 == 0 ? list : Fuzzer.Mutate(list, new Random(k)));
            CheckDataset(NusWideDataset.Load(f.Root, "train", new NusWideOptions { ErrorPolicy = k % 4 < 2 ? DataErrorPolicy.Throw : DataErrorPolicy.SkipAndReport }));
        }, seed: 6);
    }

    [Fact]
    public void DeepFashion_Mutants_LoadOrThrowInvalidData()
    {
        f.Text("Anno/list_attr_cloth.txt", "3", "attribute_name  attribute_type", "a-line                       3", "floral print                 1", "sleeveless                   2");
        f.Text("Eval/list_eval_partition.txt", "3", "image_name  evaluation_status", "img/Sheer_Blouse/img_00000001.jpg  train", "img/Sheer_Blouse/img_00000002.jpg  train", "img/Maxi_Dress/img_00000001.jpg  test");
        f.Text("Anno/list_category_cloth.txt", "2", "category_name  category_type", "Blouse  1", "Maxi Dress  3");
        f.Text("Anno/list_category_img.txt", "3", "image_name  category_label", "img/Sheer_Blouse/img_00000001.jpg  1", "img/Sheer_Blouse/img_00000002.jpg  1", "img/Maxi_Dress/img_00000001.jpg  2");
        f.Jpeg("img/Sheer_Blouse/img_00000001.jpg");
        f.Jpeg("img/Sheer_Blouse/img_00000002.jpg");
        f.Jpeg("img/Maxi_Dress/img_00000001.jpg");
        var seed = Fuzzer.Utf8("3\nimage_name  attribute_labels\nimg/Sheer_Blouse/img_00000001.jpg  -1  1  1\nimg/Sheer_Blouse/img_00000002.jpg  -1 -1  0\nimg/Maxi_Dress/img_00000001.jpg  1 -1 1\n");
        var k = 0;
        Fuzzer.Run<InvalidDataException>("DeepFashion", seed, bytes =>
        {
            File.WriteAllBytes(f.PathOf("Anno/list_attr_img.txt"), bytes);
            var target = k++ % 2 == 0 ? DeepFashionTarget.Attributes : DeepFashionTarget.Categories;
            CheckDataset(DeepFashionDataset.Load(f.Root, "train", new DeepFashionOptions { Target = target, ErrorPolicy = k % 4 < 2 ? DataErrorPolicy.Throw : DataErrorPolicy.SkipAndReport }));
        }, seed: 7);
    }

    [Fact]
    public void Idx_Mutants_LoadOrThrowInvalidData()
    {
        var images = new byte[16 + (3 * 2 * 2)];
        BinaryPrimitives.WriteInt32BigEndian(images, 2051);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), 3);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 2);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 2);
        var labels = new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 4, 9, 1 };
        var k = 0;
        Fuzzer.Run<InvalidDataException>("IDX", images, bytes =>
        {
            var imageFile = k % 2 == 0 ? bytes : images;
            var labelFile = k++ % 2 == 0 ? labels : Fuzzer.Mutate(labels, new Random(k));
            f.Bytes("mnist/train-images-idx3-ubyte", imageFile);
            f.Bytes("mnist/train-labels-idx1-ubyte", labelFile);
            var ds = MnistDataset.Load(f.PathOf("mnist"), train: true, new MnistOptions { ErrorPolicy = k % 4 < 2 ? DataErrorPolicy.Throw : DataErrorPolicy.SkipAndReport });
            for (var i = 0; i < ds.Count; i++)
            {
                var raw = ds.GetRaw(i);
                Assert.InRange(raw.Label, 0, 9);
                Assert.Equal(raw.Image.Height * raw.Image.Width, raw.Image.Data.Length / raw.Image.Channels);
            }
        }, seed: 8);
    }

    [Fact]
    public void Checkpoint_Mutants_LoadOrThrowInvalidData()
    {
        var (model, opt) = CheckpointIntegrityTests.Make(5);
        var path = Path.Combine(f.Root, "m.ckpt");
        Checkpoint.Save(path, model, opt, new TrainingState(0, 1, 2, 5, new Dictionary<string, double> { ["acc"] = 0.1 }) { Configuration = new Dictionary<string, string> { ["BatchSize"] = "5" } });
        var seed = File.ReadAllBytes(path);
        var (target, targetOpt) = CheckpointIntegrityTests.Make(6);
        var k = 0;
        Fuzzer.Run<InvalidDataException>("checkpoint", seed, bytes =>
        {
            // Half the mutants keep a valid safetensors container with mutated metadata and tensors and recomputed
            // digests, so that the checks behind the digests are fuzzed too.
            if (k++ % 2 == 1)
            {
                bytes = StateFileMutator.Mutate(seed, new Random(k), Checkpoint.Rehash);
            }

            File.WriteAllBytes(path, bytes);
            var state = Checkpoint.Load(path, target, targetOpt);
            Assert.True(state.Epoch >= 0);
            Assert.Null(TrainingLoop.FirstNonFinite(target));
        }, seed: 9);
    }

    [Fact]
    public void CheckpointLegacy_Mutants_LoadOrThrowInvalidData()
    {
        var path = Path.Combine(f.Root, "m.ckpt");
        var seed = LegacyFixtures.Bytes("checkpoint.cvckpt02");
        var sections = CheckpointIntegrityTests.Sections(seed);
        var (target, targetOpt) = CheckpointIntegrityTests.Make(6);
        var k = 0;
        Fuzzer.Run<InvalidDataException>("checkpoint (legacy CVCKPT02)", seed, bytes =>
        {
            // Half the mutants keep valid hashes (a mutated section re-hashed) so the structural checks behind the hashes are fuzzed too.
            if (k++ % 2 == 1)
            {
                var copy = sections.Select(s => s.ToArray()).ToList();
                var which = k / 2 % 4;
                copy[which] = Fuzzer.Mutate(copy[which], new Random(k));
                bytes = CheckpointIntegrityTests.Compose(copy);
            }

            File.WriteAllBytes(path, bytes);
            var state = Checkpoint.Load(path, target, targetOpt);
            Assert.True(state.Epoch >= 0);
            Assert.Null(TrainingLoop.FirstNonFinite(target));
        }, seed: 19);
    }
}
