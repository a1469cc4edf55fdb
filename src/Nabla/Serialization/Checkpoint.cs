namespace Nabla.Serialization;

/// <summary>
/// Training checkpoints: the model's state dict, the optimizer's state tensors and the trainer's
/// string metadata in one safetensors file, written atomically.
/// </summary>
/// <remarks>
/// <para>
/// Layout: model tensors are stored as <c>model.&lt;name&gt;</c>, optimizer tensors as
/// <c>optimizer.&lt;name&gt;</c>; the metadata strings are stored as they are, plus
/// <c>"nabla.checkpoint": "1"</c>, the format version. Any safetensors reader opens the file;
/// <c>safetensors.torch.load_file</c> gives the same names.
/// </para>
/// <para>
/// This layer knows tensors and strings only. Optimizers, LR schedulers and data loaders put
/// their hyper-parameters and structure in the metadata as JSON strings, and generator states
/// with <see cref="EncodeState"/> (e.g. <c>DataLoader.GetState()</c>,
/// <c>Generator.Default.GetState()</c>), under keys of the trainer's choosing.
/// </para>
/// <para>
/// Writing goes to a temporary file in the same directory, flushed and then renamed over the
/// target: a crash leaves the previous checkpoint or the new one, never a torn file. Loading
/// validates the whole file before returning anything and throws an
/// <see cref="InvalidDataException"/> naming the first bad tensor or key.
/// </para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>Prefix of the model's tensors in the file.</summary>
    public const string ModelPrefix = "model.";

    /// <summary>Prefix of the optimizer's tensors in the file.</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>Metadata key that marks a Nabla checkpoint; its value is <see cref="FormatVersion"/>.</summary>
    public const string FormatKey = "nabla.checkpoint";

    /// <summary>Version of the checkpoint layout written by this code.</summary>
    public const string FormatVersion = "1";

    /// <summary>Saves a checkpoint to <paramref name="path"/>, atomically.</summary>
    /// <param name="path">Path of the file; replaced if it exists.</param>
    /// <param name="model">The model's state dict (<c>model.StateDict()</c>).</param>
    /// <param name="optimizerTensors">The optimizer's state tensors; null or empty when it has none.</param>
    /// <param name="metadata">The trainer's strings (epoch, JSON hyper-parameters, generator states, …); null when none.</param>
    /// <exception cref="ArgumentException">A name is empty, a tensor null, or a metadata key is <see cref="FormatKey"/>; the target is untouched.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> model, IReadOnlyDictionary<string, Tensor>? optimizerTensors = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        SafeTensors.WriteFile(path, Entries(model, optimizerTensors), Metadata(metadata));
    }

    /// <summary>Writes a checkpoint to a stream (not atomic; for files use <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, Tensor}?, IReadOnlyDictionary{string, string}?)"/>).</summary>
    /// <param name="stream">The destination; it is not closed.</param>
    /// <param name="model">The model's state dict.</param>
    /// <param name="optimizerTensors">The optimizer's state tensors; null or empty when it has none.</param>
    /// <param name="metadata">The trainer's strings; null when none.</param>
    /// <exception cref="ArgumentException">A name is empty, a tensor null, or a metadata key is <see cref="FormatKey"/>.</exception>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> model, IReadOnlyDictionary<string, Tensor>? optimizerTensors = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(model);
        SafeTensors.Write(stream, Entries(model, optimizerTensors), Metadata(metadata));
    }

    /// <summary>Loads and validates a checkpoint.</summary>
    /// <param name="path">Path of the file.</param>
    /// <returns>Model tensors, optimizer tensors (prefixes removed) and metadata (without <see cref="FormatKey"/>).</returns>
    /// <exception cref="InvalidDataException">The file is not a valid checkpoint; the message names the file and the first problem.</exception>
    public static CheckpointData Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (entries, metadata) = SafeTensors.ReadFile(path);
        return Split(entries, metadata, path);
    }

    /// <summary>Reads and validates a checkpoint from a stream positioned at its start.</summary>
    /// <param name="stream">The source; it is read to its end and not closed.</param>
    /// <returns>Model tensors, optimizer tensors (prefixes removed) and metadata (without <see cref="FormatKey"/>).</returns>
    /// <exception cref="InvalidDataException">The data is not a valid checkpoint.</exception>
    public static CheckpointData Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (entries, metadata) = SafeTensors.Read(stream);
        return Split(entries, metadata, "checkpoint stream");
    }

    /// <summary>
    /// Loads a checkpoint and checks it against the state it will be loaded into: the same names,
    /// shapes and dtypes (see <see cref="StateDict.CheckMatches"/>), the first mismatch reported by name.
    /// </summary>
    /// <param name="path">Path of the file.</param>
    /// <param name="expectedModel">The model's current state dict.</param>
    /// <param name="expectedOptimizer">The optimizer's current state tensors, or null to skip that check.</param>
    /// <exception cref="InvalidDataException">The file is not a valid checkpoint or does not fit.</exception>
    public static CheckpointData Load(string path, IReadOnlyDictionary<string, Tensor> expectedModel, IReadOnlyDictionary<string, Tensor>? expectedOptimizer = null)
    {
        ArgumentNullException.ThrowIfNull(expectedModel);
        CheckpointData data = Load(path);
        StateDict.CheckMatches(expectedModel, data.Model, $"{path}: model");
        if (expectedOptimizer is not null)
        {
            StateDict.CheckMatches(expectedOptimizer, data.Optimizer, $"{path}: optimizer");
        }
        return data;
    }

    /// <summary>
    /// Copies <paramref name="values"/> into <paramref name="metadata"/> under <c>prefix + key</c>,
    /// so that several components share one metadata dictionary without clashing, e.g.
    /// <c>AddSection(metadata, Checkpoint.OptimizerPrefix, optimizer.StateDict().Values)</c>.
    /// </summary>
    /// <param name="metadata">The dictionary being filled.</param>
    /// <param name="prefix">The section's prefix, e.g. <c>"optimizer."</c> or <c>"scheduler."</c>.</param>
    /// <param name="values">The component's strings.</param>
    /// <exception cref="ArgumentException">A prefixed key is already present.</exception>
    public static void AddSection(IDictionary<string, string> metadata, string prefix, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (key, value) in values)
        {
            if (!metadata.TryAdd(prefix + key, value))
            {
                throw new ArgumentException($"Checkpoint.AddSection: metadata key '{prefix + key}' is already present.", nameof(values));
            }
        }
    }

    /// <summary>The entries of <paramref name="metadata"/> whose key starts with <paramref name="prefix"/>, with the prefix removed: the inverse of <see cref="AddSection"/>.</summary>
    /// <param name="metadata">The checkpoint's metadata.</param>
    /// <param name="prefix">The section's prefix, e.g. <c>"optimizer."</c>.</param>
    public static Dictionary<string, string> Section(IReadOnlyDictionary<string, string> metadata, string prefix)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(prefix);
        var section = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                section.Add(key[prefix.Length..], value);
            }
        }
        return section;
    }

    /// <summary>Encodes binary state (e.g. the 32 bytes of <c>Generator.GetState()</c>) as a metadata string (base64).</summary>
    public static string EncodeState(ReadOnlySpan<byte> state) => Convert.ToBase64String(state);

    /// <summary>Decodes a string from <see cref="EncodeState"/>.</summary>
    /// <param name="text">The encoded state.</param>
    /// <param name="key">The metadata key it came from, for the message.</param>
    /// <exception cref="InvalidDataException">The text is not base64.</exception>
    public static byte[] DecodeState(string text, string key = "state")
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new byte[(text.Length * 3 + 3) / 4];
        return Convert.TryFromBase64String(text, buffer, out int written)
            ? buffer[..written]
            : throw new InvalidDataException($"Checkpoint: metadata '{key}' is not a base64-encoded state.");
    }

    private static IEnumerable<SafeTensorEntry> Entries(IReadOnlyDictionary<string, Tensor> model, IReadOnlyDictionary<string, Tensor>? optimizerTensors)
    {
        foreach (SafeTensorEntry entry in Prefixed(ModelPrefix, model, nameof(model)))
        {
            yield return entry;
        }
        if (optimizerTensors is not null)
        {
            foreach (SafeTensorEntry entry in Prefixed(OptimizerPrefix, optimizerTensors, nameof(optimizerTensors)))
            {
                yield return entry;
            }
        }
    }

    private static IEnumerable<SafeTensorEntry> Prefixed(string prefix, IReadOnlyDictionary<string, Tensor> tensors, string argument)
    {
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"Checkpoint.Save: {argument} has a tensor with an empty name.", argument);
            }
            if (tensor is null)
            {
                throw new ArgumentException($"Checkpoint.Save: {argument} tensor '{name}' is null.", argument);
            }
            yield return StateDict.ToEntry(prefix + name, tensor);
        }
    }

    private static Dictionary<string, string> Metadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { [FormatKey] = FormatVersion };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                if (key == FormatKey)
                {
                    throw new ArgumentException($"Checkpoint.Save: metadata key '{FormatKey}' is reserved for the format version.", nameof(metadata));
                }
                all.Add(key, value ?? throw new ArgumentException($"Checkpoint.Save: metadata '{key}' is null.", nameof(metadata)));
            }
        }
        return all;
    }

    private static CheckpointData Split(IReadOnlyList<SafeTensorEntry> entries, IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue(FormatKey, out string? version))
        {
            throw new InvalidDataException($"{source}: not a Nabla checkpoint: the metadata has no '{FormatKey}' key (a plain state dict? use StateDict.Load).");
        }
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{source}: checkpoint format version '{version}' is not supported (this Nabla reads version {FormatVersion}).");
        }
        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optimizer = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (SafeTensorEntry entry in entries)
        {
            var (target, prefix) = entry.Name.StartsWith(ModelPrefix, StringComparison.Ordinal) ? (model, ModelPrefix)
                : entry.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) ? (optimizer, OptimizerPrefix)
                : throw new InvalidDataException($"{source}: tensor '{entry.Name}' starts with neither '{ModelPrefix}' nor '{OptimizerPrefix}'.");
            if (entry.Name.Length == prefix.Length)
            {
                throw new InvalidDataException($"{source}: tensor '{entry.Name}' has an empty name after its prefix.");
            }
            // Names are unique in the file, so names after one prefix are unique too.
            target.Add(entry.Name[prefix.Length..], StateDict.ToTensor(entry, source));
        }
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (key != FormatKey)
            {
                strings.Add(key, value);
            }
        }
        return new CheckpointData(model, optimizer, strings);
    }
}
