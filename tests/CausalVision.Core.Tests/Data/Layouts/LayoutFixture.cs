using CausalVision.Imaging;

namespace CausalVision.Tests.Data.Layouts;

/// <summary>A temporary dataset root with helpers to write tiny images and text files.</summary>
internal sealed class LayoutFixture : IDisposable
{
    public LayoutFixture() => Root = Directory.CreateTempSubdirectory("cv-layout-").FullName;

    public string Root { get; }

    public string PathOf(string relative) => System.IO.Path.Combine(Root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    /// <summary>Writes a 2x3 PNG whose red channel is <paramref name="value"/>/255 everywhere.</summary>
    public void Png(string relative, byte value = 100)
    {
        var image = new ImageBuffer(3, 2, 3);
        Array.Fill(image.Data, value / 255f, 0, 6);
        ImageDecoder.SavePng(image, PathOf(relative));
    }

    /// <summary>Writes a 4x4 JPEG.</summary>
    public void Jpeg(string relative)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ImageDecoder.EncodeJpeg(new ImageBuffer(3, 4, 4, Enumerable.Repeat(0.5f, 48).ToArray())));
    }

    public void Text(string relative, params string[] lines)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
    }

    public void Bytes(string relative, byte[] bytes)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
