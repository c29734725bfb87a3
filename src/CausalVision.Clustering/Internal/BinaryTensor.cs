// The legacy binary container of fitted clustering models (CVKMEANS, CVFUZZYART, CVEXEMPLARS version 1), kept to read
// files written before these models moved to safetensors state files (Weights/StateFile.cs in Core). Nothing writes
// it any more; tests/fixtures/legacy holds files written by its former writers.
using System.Text;
using TorchSharp;

namespace CausalVision.Clustering.Internal;

/// <summary>Reads tensors and arrays after a magic header (the legacy layout); corrupt files raise <see cref="InvalidDataException"/>.</summary>
internal static class BinaryTensor
{
    /// <summary>Returns the bytes a legacy file starts with: the magic as <see cref="BinaryWriter"/> writes a string (length byte, ASCII).</summary>
    /// <param name="magic">The magic (ASCII, under 128 characters).</param>
    /// <returns>The prefix.</returns>
    public static byte[] Prefix(string magic) => [(byte)magic.Length, .. Encoding.ASCII.GetBytes(magic)];

    /// <summary>Copies a tensor that a reader owns onto <paramref name="device"/>, outside any dispose scope.</summary>
    /// <param name="t">The tensor (CPU).</param>
    /// <param name="device">The target device.</param>
    /// <returns>A new tensor the caller owns.</returns>
    public static torch.Tensor Owned(torch.Tensor t, torch.Device device)
    {
        var copy = device.type == DeviceType.CPU ? t.clone() : t.to(device);
        return copy.DetachFromDisposeScope();
    }

    /// <summary>Opens a reader and checks the magic and version.</summary>
    /// <param name="stream">The source stream (left open).</param>
    /// <param name="magic">The expected magic.</param>
    /// <param name="version">The expected version.</param>
    /// <returns>The reader.</returns>
    public static BinaryReader BeginRead(Stream stream, string magic, int version)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var m = reader.ReadString();
            if (m != magic)
            {
                throw new InvalidDataException($"Not a {magic} file (found magic '{m}').");
            }

            var v = reader.ReadInt32();
            if (v != version)
            {
                throw new InvalidDataException($"Unsupported {magic} format version {v} (expected {version}).");
            }
        }
        catch (EndOfStreamException e)
        {
            reader.Dispose();
            throw new InvalidDataException($"Truncated {magic} file.", e);
        }
        catch (Exception e) when (e is FormatException or IOException or DecoderFallbackException or OverflowException)
        {
            reader.Dispose();
            throw new InvalidDataException($"Not a {magic} file ({e.Message}).", e);
        }
        catch (InvalidDataException)
        {
            reader.Dispose();
            throw;
        }

        return reader;
    }

    /// <summary>Reads a tensor: rank, sizes, a float64 flag, then the float32 or float64 values.</summary>
    /// <param name="r">The reader.</param>
    /// <param name="device">The target device.</param>
    /// <returns>The tensor.</returns>
    public static torch.Tensor ReadTensor(BinaryReader r, torch.Device device)
    {
        var dims = r.ReadInt64();
        if (dims is < 0 or > 8)
        {
            throw new InvalidDataException($"Corrupt tensor header: {dims} dimensions.");
        }

        var shape = new long[dims];
        long n = 1;
        for (var i = 0; i < dims; i++)
        {
            shape[i] = r.ReadInt64();
            if (shape[i] < 0 || shape[i] > int.MaxValue)
            {
                throw new InvalidDataException($"Corrupt tensor header: size {shape[i]}.");
            }

            n = (long)Int128.Min((Int128)n * shape[i], long.MaxValue);
        }

        if (n > int.MaxValue)
        {
            throw new InvalidDataException("Corrupt tensor header: too many elements.");
        }

        EnsureAvailable(r, n * 4, "tensor");

        var isDouble = r.ReadBoolean();
        if (isDouble)
        {
            var data = ReadDoubles(r, (int)n);
            using var cpu = torch.tensor(data, shape, torch.float64);
            return cpu.to(device);
        }
        else
        {
            var data = new float[n];
            for (var i = 0; i < n; i++)
            {
                data[i] = r.ReadSingle();
            }

            using var cpu = torch.tensor(data, shape, torch.float32);
            return cpu.to(device);
        }
    }

    /// <summary>Reads a length-prefixed double array.</summary>
    /// <param name="r">The reader.</param>
    /// <param name="expected">The expected length, or -1 for any.</param>
    /// <returns>The values.</returns>
    public static double[] ReadDoubles(BinaryReader r, int expected = -1)
    {
        var n = r.ReadInt32();
        if (n < 0 || (expected >= 0 && n != expected))
        {
            throw new InvalidDataException($"Corrupt array: length {n}" + (expected >= 0 ? $", expected {expected}." : "."));
        }

        EnsureAvailable(r, (long)n * 8, "array");
        var a = new double[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = r.ReadDouble();
        }

        return a;
    }

    /// <summary>Reads a length-prefixed long array.</summary>
    /// <param name="r">The reader.</param>
    /// <param name="expected">The expected length, or -1 for any.</param>
    /// <returns>The values.</returns>
    public static long[] ReadLongs(BinaryReader r, int expected = -1)
    {
        var n = r.ReadInt32();
        if (n < 0 || (expected >= 0 && n != expected))
        {
            throw new InvalidDataException($"Corrupt array: length {n}" + (expected >= 0 ? $", expected {expected}." : "."));
        }

        EnsureAvailable(r, (long)n * 8, "array");
        var a = new long[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = r.ReadInt64();
        }

        return a;
    }

    /// <summary>Runs a load body, turning end-of-stream into <see cref="InvalidDataException"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="magic">The file kind, for the message.</param>
    /// <param name="body">The body.</param>
    /// <returns>The body's result.</returns>
    public static T Guarded<T>(string magic, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"Truncated {magic} file.", e);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException and not OperationCanceledException)
        {
            // Corrupt values reach constructors, array indexing and libtorch (ExternalException): all mean a bad file.
            throw new InvalidDataException($"Corrupt {magic} file: {e.Message.Split('\n')[0]}", e);
        }
    }

    // Refuses a header-declared size larger than what is left in a seekable stream (no huge allocation for a tiny file).
    private static void EnsureAvailable(BinaryReader r, long bytes, string what)
    {
        var s = r.BaseStream;
        if (s.CanSeek && bytes > s.Length - s.Position)
        {
            throw new InvalidDataException($"Truncated or corrupt {what}: {bytes} bytes declared, {s.Length - s.Position} left in the file.");
        }
    }
}
