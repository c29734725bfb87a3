// A decoded image as plain managed memory (float32, CHW), so that worker threads can decode and
// transform without creating TorchSharp tensors (TorchSharp's dispose statistics are per thread).
using TorchSharp;

namespace CausalVision.Imaging;

/// <summary>
/// A float32 image in channel-major (CHW) layout held in a managed array. Pixel values are in
/// [0, 1] straight from <see cref="ImageDecoder"/>; after <c>Normalize</c> they are standardised.
/// </summary>
/// <remarks>
/// Shapes: <see cref="Data"/> has <c>Channels * Height * Width</c> elements; element
/// <c>(c, y, x)</c> is at <c>(c * Height + y) * Width + x</c>.
/// </remarks>
public sealed class ImageBuffer
{
    /// <summary>Initializes a new instance of the <see cref="ImageBuffer"/> class.</summary>
    /// <param name="channels">The channel count (1 or more; usually 1 or 3).</param>
    /// <param name="height">The height in pixels (at least 1).</param>
    /// <param name="width">The width in pixels (at least 1).</param>
    /// <param name="data">The CHW values; null allocates zeros. Ownership passes to the buffer.</param>
    /// <exception cref="ArgumentException">A size is not positive, or <paramref name="data"/> has the wrong length.</exception>
    public ImageBuffer(int channels, int height, int width, float[]? data = null)
    {
        if (channels < 1 || height < 1 || width < 1)
        {
            throw new ArgumentException($"Image size must be positive, got {channels}x{height}x{width} (CxHxW).");
        }

        var length = (long)channels * height * width;
        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"Image {channels}x{height}x{width} is too large for one buffer.");
        }

        if (data is not null && data.Length != length)
        {
            throw new ArgumentException($"Data length {data.Length} does not match {channels}x{height}x{width} = {length}.", nameof(data));
        }

        Channels = channels;
        Height = height;
        Width = width;
        Data = data ?? new float[length];
    }

    /// <summary>Gets the channel count.</summary>
    public int Channels { get; }

    /// <summary>Gets the height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the CHW values (mutable: transforms may work in place on buffers they own).</summary>
    public float[] Data { get; }

    /// <summary>Gets the value at channel <paramref name="c"/>, row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    /// <param name="c">The channel.</param>
    /// <param name="y">The row.</param>
    /// <param name="x">The column.</param>
    public float this[int c, int y, int x]
    {
        get => Data[((c * Height) + y) * Width + x];
        set => Data[((c * Height) + y) * Width + x] = value;
    }

    /// <summary>Copies the buffer into a new float32 tensor <c>[C, H, W]</c> on the CPU; the caller disposes it.</summary>
    /// <returns>The tensor.</returns>
    public torch.Tensor ToTensor() => torch.tensor(Data, [Channels, Height, Width], torch.float32);

    /// <summary>Copies a <c>[C, H, W]</c> tensor (any float dtype, any device) into a new buffer.</summary>
    /// <param name="image">The tensor; not disposed.</param>
    /// <returns>The buffer.</returns>
    /// <exception cref="ArgumentException">The tensor is not 3-D.</exception>
    public static ImageBuffer FromTensor(torch.Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3)
        {
            throw new ArgumentException($"Image must be [C, H, W], got [{string.Join(", ", image.shape)}].", nameof(image));
        }

        using var scope = torch.NewDisposeScope();
        var data = image.detach().cpu().to(torch.float32).contiguous().data<float>().ToArray();
        return new ImageBuffer((int)image.shape[0], (int)image.shape[1], (int)image.shape[2], data);
    }

    /// <summary>Returns a deep copy.</summary>
    /// <returns>The copy.</returns>
    public ImageBuffer Clone() => new(Channels, Height, Width, (float[])Data.Clone());
}
