// Loads name -> tensor dictionaries into modules (PyTorch's load_state_dict semantics, with a report),
// and wraps TorchSharp's own save/load format.
using TorchSharp;
using static TorchSharp.torch;

namespace CausalVision.Weights;

/// <summary>
/// Copies imported tensors into a module's parameters and persistent buffers by key, converting to
/// each target's dtype and device; strict or lenient, always with a <see cref="LoadReport"/>.
/// </summary>
public static class StateDictLoader
{
    /// <summary>Loads <paramref name="source"/> into <paramref name="module"/>.</summary>
    /// <param name="module">The module (its <c>state_dict()</c> keys are the targets).</param>
    /// <param name="source">Name -> tensor; not disposed or modified.</param>
    /// <param name="options">Key mapping and strictness; null for strict with no remapping.</param>
    /// <param name="sourceName">Where the tensors came from, for messages (default "state dict").</param>
    /// <returns>What was loaded, missing, unexpected or mismatched.</returns>
    /// <exception cref="StateDictMismatchException">Strict mode and any key is missing, unexpected or has another shape; nothing is copied.</exception>
    /// <exception cref="ArgumentException">Two source keys map to the same key, or a source tensor is null.</exception>
    public static LoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> source, StateDictLoadOptions? options = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new StateDictLoadOptions();
        var remapped = RemapKeys(source, options);
        var target = module.state_dict();
        var loaded = new List<string>();
        var unexpected = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        foreach (var (key, tensor) in remapped.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!target.TryGetValue(key, out var destination))
            {
                unexpected.Add(key);
            }
            else if (!destination.shape.SequenceEqual(tensor.shape))
            {
                mismatched.Add(new ShapeMismatch(key, destination.shape, tensor.shape));
            }
            else if (destination.is_floating_point() != tensor.is_floating_point() || (destination.dtype == ScalarType.Bool) != (tensor.dtype == ScalarType.Bool))
            {
                // copy_ would convert silently: integer or boolean data is never a floating-point weight (and vice versa).
                throw new InvalidDataException($"{sourceName ?? "state dict"}: tensor '{key}' is {tensor.dtype} but '{key}' of {module.GetType().Name} is {destination.dtype}; integer/boolean data is not converted into floating-point weights or back.");
            }
            else
            {
                loaded.Add(key);
            }
        }

        var missing = target.Keys.Where(k => !remapped.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var report = new LoadReport(loaded, missing, unexpected, mismatched);
        if (options.Strict && !report.IsExact)
        {
            throw new StateDictMismatchException(report, sourceName ?? "state dict");
        }

        using (torch.no_grad())
        {
            foreach (var key in loaded)
            {
                // copy_ converts dtype (e.g. F16/BF16 -> float32) and device.
                target[key].copy_(remapped[key]);
            }
        }

        return report;
    }

    /// <summary>
    /// Loads a weights file: <c>.safetensors</c> through <see cref="SafeTensors"/> (full key
    /// mapping and report), anything else through TorchSharp's own format (strictness only).
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="path">The file.</param>
    /// <param name="options">Key mapping and strictness; null for strict.</param>
    /// <returns>The report.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or (strict) does not match.</exception>
    public static LoadReport LoadFile(nn.Module module, string path, StateDictLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new StateDictLoadOptions();
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var tensors = SafeTensors.Load(path);
            try
            {
                return Load(module, tensors, options, $"'{path}'");
            }
            catch (StateDictMismatchException ex)
            {
                throw new InvalidDataException($"Weights file '{path}' does not match {module.GetType().Name}: {ex.Report}.", ex);
            }
        }

        return LoadTorchSharp(module, path, options.Strict);
    }

    /// <summary>Applies <see cref="StateDictLoadOptions.StripPrefixes"/>, <see cref="StateDictLoadOptions.RenamePrefixes"/> and <see cref="StateDictLoadOptions.IgnoreSourcePrefixes"/> to the keys.</summary>
    /// <param name="source">Name -> tensor.</param>
    /// <param name="options">The mapping.</param>
    /// <returns>A new dictionary holding the same tensor objects under the new keys.</returns>
    /// <exception cref="ArgumentException">Two source keys map to the same key, or a tensor is null.</exception>
    public static Dictionary<string, Tensor> RemapKeys(IReadOnlyDictionary<string, Tensor> source, StateDictLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (original, tensor) in source)
        {
            if (tensor is null)
            {
                throw new ArgumentException($"Source tensor '{original}' is null.", nameof(source));
            }

            var key = original;
            foreach (var prefix in options.StripPrefixes)
            {
                if (prefix.Length > 0 && key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    key = key[prefix.Length..];
                    break;
                }
            }

            var rename = options.RenamePrefixes.Where(p => p.Key.Length > 0 && key.StartsWith(p.Key, StringComparison.Ordinal))
                .OrderByDescending(p => p.Key.Length).FirstOrDefault();
            if (rename.Key is not null)
            {
                key = rename.Value + key[rename.Key.Length..];
            }

            if (options.IgnoreSourcePrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
            {
                continue;
            }

            if (!origin.TryAdd(key, original))
            {
                throw new ArgumentException($"Source keys '{origin[key]}' and '{original}' both map to '{key}'.", nameof(source));
            }

            result[key] = tensor;
        }

        return result;
    }

    /// <summary>Saves a module in TorchSharp's own format (<c>Module.save</c>).</summary>
    /// <param name="module">The module.</param>
    /// <param name="path">The file (overwritten).</param>
    public static void SaveTorchSharp(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        module.save(path);
    }

    /// <summary>Loads a file written by <see cref="SaveTorchSharp"/> (or TorchSharp's <c>Module.save</c>).</summary>
    /// <param name="module">The module.</param>
    /// <param name="path">The file.</param>
    /// <param name="strict">Whether every module entry must be present and every file entry used.</param>
    /// <returns>The report (loaded and missing keys; TorchSharp's format does not list unexpected ones).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or does not match.</exception>
    public static LoadReport LoadTorchSharp(nn.Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        }

        var loadedParameters = new Dictionary<string, bool>(StringComparer.Ordinal);
        try
        {
            module.load(path, strict, loadedParameters: loadedParameters);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or EndOfStreamException or IOException or FormatException or NotImplementedException)
        {
            throw new InvalidDataException($"TorchSharp weights file '{path}' could not be loaded into {module.GetType().Name}: {ex.Message}", ex);
        }

        var loaded = loadedParameters.Where(p => p.Value).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        var missing = loadedParameters.Where(p => !p.Value).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        return new LoadReport(loaded, missing, [], []);
    }
}
