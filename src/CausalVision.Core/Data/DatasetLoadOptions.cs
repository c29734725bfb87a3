namespace CausalVision.Data;

/// <summary>Options shared by every dataset-layout loader.</summary>
public class DatasetLoadOptions
{
    /// <summary>Gets or sets what happens to a bad row. <value><see cref="DataErrorPolicy.Throw"/></value>.</summary>
    public DataErrorPolicy ErrorPolicy { get; set; } = DataErrorPolicy.Throw;

    /// <summary>
    /// Gets or sets whether every sample must carry at least one tag. <c>null</c> uses the
    /// layout's rule (true only for Ingredient-101, whose every dish has ingredients).
    /// <value>null</value>.
    /// </summary>
    public bool? RequireTags { get; set; }

    /// <summary>Gets or sets whether each listed image must exist at load time. <value>true</value>.</summary>
    public bool CheckFilesExist { get; set; } = true;

    /// <summary>
    /// Gets or sets whether each image's header is checked at load time (a corrupt or unsupported
    /// file then becomes a bad row; otherwise it fails when decoded). <value>false</value>.
    /// </summary>
    public bool VerifyImages { get; set; }

    /// <summary>Gets or sets whether images decode to one luma channel instead of RGB. <value>false</value>.</summary>
    public bool Grayscale { get; set; }

    /// <summary>
    /// Gets or sets the pixel budget per image (width x height), checked from the image header before
    /// any pixel memory is allocated; a larger image fails to load like a corrupt one (and is reported
    /// at load time when <see cref="VerifyImages"/> is on).
    /// </summary>
    /// <value>Default 64,000,000 (64 megapixels, <see cref="Imaging.ImageDecoder.DefaultMaxPixels"/>).</value>
    public long MaxImagePixels { get; set; } = Imaging.ImageDecoder.DefaultMaxPixels;
}
