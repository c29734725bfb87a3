// The ImageNet-trained ResNet-18 that ML.NET ships (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18,
// MIT; a CNTK 2.6 export: basic blocks [2, 2, 2, 3], asymmetric pads), imported from its ONNX file
// with OnnxImporter, with the input preprocessing of the package's ResNetPreprocess.onnx
// (RGB -> BGR in 0..255, minus a 224x224 mean image).
using CausalVision.Onnx;
using CausalVision.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CausalVision.Backbones;

/// <summary>
/// Pretrained ImageNet ResNet-18 (registry name <c>resnet18-imagenet</c>) imported from ML.NET's ONNX
/// file; returns the last stage's 512-channel map like <see cref="ResNet"/>.
/// </summary>
/// <remarks>
/// <para>The ONNX file is not embedded: add the package that ships it to any project
/// (<c>dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18 --version 0.24.0</c>; nothing of
/// ML.NET is loaded, only the file is read) and the default <see cref="FindModelPath()"/> locates it in
/// the NuGet package folder (<c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>), or pass its path
/// as <see cref="BackboneOptions.PretrainedPath"/>. The preprocessing graph
/// <c>ResNetPreprocess.onnx</c> is read from the same package folder for its mean image.</para>
/// <para>Preprocessing (exactly <c>ResNetPreprocess.onnx</c> at 224 px): pixels p in [0, 1] RGB become
/// 255 p in BGR order minus the mean image. By default (<see cref="NormalizedInput"/>) the input is
/// the project's ImageNet-normalised image (<c>Normalize</c>), which is first mapped back to [0, 1].
/// At other sizes the mean image is resized bilinearly.</para>
/// <para>State-dict keys: <c>network.&lt;ONNX node&gt;.*</c> (e.g. <c>network.Convolution249.weight</c>),
/// <c>meanImage</c>, and <c>fc.*</c> when <see cref="BackboneOptions.NumClasses"/> &gt; 0 (a new,
/// randomly initialised head: the ONNX graph has no classifier).</para>
/// <para>Shapes: images [B, 3, H, W] (H, W &gt;= 32); pooled [B, 512]; map [B, 512, ~H/32, ~W/32]
/// (7x7 at 224 px, where pooled equals the graph's own 7x7 average pool).</para>
/// </remarks>
public sealed class ImageNetResNet18 : Backbone
{
    /// <summary>The registry name.</summary>
    public const string RegistryName = "resnet18-imagenet";

    /// <summary>The NuGet package that ships the ONNX files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version whose file layout is known.</summary>
    public const string PackageVersion = "0.24.0";

    /// <summary>The model file inside the package.</summary>
    public const string ModelPathInPackage = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    /// <summary>The preprocessing graph inside the package.</summary>
    public const string PreprocessPathInPackage = "tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";

    private static readonly Scalar Scale255 = 255.0.ToScalar();

    private readonly OnnxModule network;
    private readonly Tensor meanImage;
    private readonly Linear? fc;
    private readonly string mapName;

    private ImageNetResNet18(OnnxModule network, Tensor meanImage, string mapName, int numClasses)
        : base(RegistryName, 512, 3, numClasses)
    {
        this.network = network;
        this.meanImage = meanImage;
        this.mapName = mapName;
        if (numClasses > 0)
        {
            fc = nn.Linear(512, numClasses);
        }

        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int FeatureStride => 32;

    /// <inheritdoc/>
    public override string? HeadPrefix => fc is null ? null : "fc";

    /// <summary>Gets or sets a value indicating whether inputs are ImageNet-normalised (the project's <c>Normalize</c> transform) rather than pixels in [0, 1].</summary>
    /// <value>Default <c>true</c>.</value>
    public bool NormalizedInput { get; set; } = true;

    /// <summary>Gets the imported ONNX graph (input: preprocessed BGR 0..255 minus mean; output: the 7x7 average pool).</summary>
    public OnnxModule Network => network;

    /// <summary>Gets the name of the graph value used as the spatial map (the average pool's input).</summary>
    public string MapValueName => mapName;

    /// <summary>Returns the model file in the user's NuGet package folder, or null when the package is not there.</summary>
    /// <returns>The full path of <c>ResNet18.onnx</c>, or null.</returns>
    public static string? FindModelPath() => FindModelPath(null);

    /// <summary>Resolves the backbone name <c>"auto"</c>: this pretrained network when its ONNX file is found in the
    /// NuGet package folder (the package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.24.0 is restored), else the
    /// randomly initialised <c>"resnet18"</c>. Any other name is returned as given.</summary>
    /// <param name="name">A registry name or <c>"auto"</c>.</param>
    /// <returns>The registry name to build.</returns>
    public static string ResolveAutoName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!string.Equals(name, "auto", StringComparison.OrdinalIgnoreCase))
        {
            return name;
        }

        return FindModelPath() is null ? "resnet18" : RegistryName;
    }

    /// <summary>Gets the package folder searched by <see cref="FindModelPath()"/> (<c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>).</summary>
    /// <returns>The folder <c>.../microsoft.ml.dnnimagefeaturizer.resnet18/0.24.0</c> (it may not exist).</returns>
    public static string PackageFolder() => PackageFolder(null);

    /// <summary>Builds the backbone from <see cref="BackboneOptions.PretrainedPath"/> (a <c>ResNet18.onnx</c>) or the NuGet package folder.</summary>
    /// <param name="options">Options: PretrainedPath, NumClasses, InChannels (must be 3), Seed (head only).</param>
    /// <returns>The backbone in training mode (BatchNorm uses batch statistics until <c>eval()</c>).</returns>
    /// <exception cref="FileNotFoundException">The ONNX file is not found; the message names the package to add.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model.</exception>
    /// <exception cref="OnnxImportException">The graph is not one the importer supports.</exception>
    public static ImageNetResNet18 Create(BackboneOptions? options = null) => Create(options, null);

    internal static string? FindModelPath(string? packagesRoot)
    {
        var path = Path.Combine(PackageFolder(packagesRoot), ModelPathInPackage);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The package folder under <paramref name="root"/> (null: <c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>).</summary>
    /// <param name="root">The NuGet packages root, or null.</param>
    /// <returns>The versioned package folder.</returns>
    internal static string PackageFolder(string? root)
    {
        root ??= Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(root))
        {
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        return Path.Combine(root, PackageId.ToLowerInvariant(), PackageVersion);
    }

    /// <summary>Builds the backbone, searching the package under <paramref name="packagesRoot"/>.</summary>
    /// <param name="options">Options.</param>
    /// <param name="packagesRoot">The NuGet packages root; null for the default.</param>
    /// <returns>The backbone.</returns>
    internal static ImageNetResNet18 Create(BackboneOptions? options, string? packagesRoot)
    {
        options ??= new BackboneOptions();
        options.Validate();
        if (options.InChannels != 3)
        {
            throw new ArgumentException($"{RegistryName} is pretrained on 3-channel images; InChannels = {options.InChannels} is not supported.", nameof(options));
        }

        var modelPath = options.PretrainedPath ?? FindModelPath(packagesRoot)
            ?? throw new FileNotFoundException(
                $"{RegistryName} needs {ModelPathInPackage} from the NuGet package {PackageId} {PackageVersion}, which was not found in '{PackageFolder(packagesRoot)}'. "
                + $"Add it to your project (dotnet add package {PackageId} --version {PackageVersion}) and restore, or set BackboneOptions.PretrainedPath to the .onnx file.");
        var preprocessPath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, "..", "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        if (!File.Exists(preprocessPath))
        {
            throw new FileNotFoundException($"{RegistryName} reads its mean image from ResNetPreprocess.onnx next to the model ({PreprocessPathInPackage} in {PackageId} {PackageVersion}); '{preprocessPath}' does not exist.", preprocessPath);
        }

        var mean = ReadMeanImage(preprocessPath);
        var model = OnnxModel.Load(modelPath);
        var pool = model.Graph.Nodes.LastOrDefault(n => n.OpType is "AveragePool" or "GlobalAveragePool")
            ?? throw new InvalidDataException($"'{modelPath}' has no final average pool; it is not the ResNet-18 of {PackageId}.");
        OnnxModule? network = null;
        try
        {
            network = OnnxImporter.Import(model);
            if (options.Seed is { } seed)
            {
                torch.manual_seed(seed);
            }

            return new ImageNetResNet18(network, mean, pool.Inputs[0], options.NumClasses);
        }
        catch
        {
            network?.Dispose();
            mean.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Prepares the backbone for inference only: eval mode, BatchNorm folded into the convolutions and
    /// channels-last convolutions (<see cref="OnnxModule.FoldBatchNorm"/>, <see cref="OnnxModule.UseChannelsLast"/>).
    /// Training mode is refused afterwards; create a new instance to fine-tune.
    /// </summary>
    /// <returns>This instance.</returns>
    public ImageNetResNet18 OptimizeForInference()
    {
        eval();
        network.FoldBatchNorm();
        network.UseChannelsLast();
        return this;
    }

    /// <summary>Applies the preprocessing of <c>ResNetPreprocess.onnx</c> (resized mean image at other sizes).</summary>
    /// <param name="images">Images [B, 3, H, W], normalised or in [0, 1] per <see cref="NormalizedInput"/>.</param>
    /// <returns>BGR 0..255 minus the mean image, a new tensor.</returns>
    public Tensor Preprocess(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        var x = images;
        if (NormalizedInput)
        {
            var std = torch.tensor(Imaging.Transforms.Normalize.ImageNetStd.ToArray(), [1, 3, 1, 1], images.dtype, images.device);
            var m = torch.tensor(Imaging.Transforms.Normalize.ImageNetMean.ToArray(), [1, 3, 1, 1], images.dtype, images.device);
            x = x.mul(std).add(m, ScalarSafe.One);
        }

        // Owned scalars only (see ScalarSafe): the implicit alpha of `a + b` was freed mid-call in a long run.
        var bgr = x.flip(1).mul(Scale255);
        var mean = meanImage.to(images.dtype, images.device);
        if (mean.shape[2] != images.shape[2] || mean.shape[3] != images.shape[3])
        {
            mean = nn.functional.interpolate(mean, [images.shape[2], images.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        }

        return bgr.sub(mean).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override BackboneFeatures forward(Tensor images)
    {
        ValidateImages(images, 32);
        using var scope = NewDisposeScope();
        var input = Preprocess(images);
        var map = network.Forward(input, [mapName])[mapName];
        if (network.ChannelsLast)
        {
            map = map.contiguous();
        }

        return BackboneFeatures.FromMap(map).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor ForwardHead(Tensor pooled)
    {
        ValidateHeadInput(pooled);
        return fc!.call(pooled);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            network.Dispose();
            meanImage.Dispose();
            fc?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static Tensor ReadMeanImage(string path)
    {
        var prep = OnnxModel.Load(path);
        var sub = prep.Graph.Nodes.SingleOrDefault(n => n.OpType == "Sub");
        if (sub is null || !prep.Graph.Initializers.TryGetValue(sub.Inputs[1], out var mean) || mean.FloatData is null || mean.Dims.Count != 4 || mean.Dims[1] != 3)
        {
            throw new InvalidDataException($"'{path}' is not the expected preprocessing graph (Split RGB, Concat BGR, Sub a [1, 3, H, W] mean image).");
        }

        return mean.ToTensor();
    }
}
