using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Nabla.Serialization;

/// <summary>
/// Reads the files <c>torch.save</c> writes — the zip format (PyTorch ≥ 1.6: <c>NAME/data.pkl</c>
/// plus one file <c>NAME/data/KEY</c> of raw little-endian bytes per storage) and the legacy
/// format (magic number, protocol and system-info pickles, the object's pickle, the storage keys,
/// then each storage as an 8-byte element count and its bytes) — with
/// <see cref="RestrictedUnpickler"/>, and builds Nabla tensors: one <see cref="Storage"/> per
/// PyTorch storage, so tensors that shared one still do, and each tensor a view with PyTorch's
/// offset and strides.
/// </summary>
internal static class PyTorchCheckpoint
{
    // Nested dicts deeper than this are corrupt (or cyclic through the memo), not a checkpoint.
    const int MaxNesting = 32;

    static readonly BigInteger LegacyMagic = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);
    const long LegacyProtocolVersion = 1001;

    /// <summary>Reads a checkpoint from a seekable stream positioned at its start.</summary>
    public static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        Span<byte> signature = stackalloc byte[4];
        long start = stream.Position;
        int read = stream.ReadAtLeast(signature, 4, throwOnEndOfStream: false);
        stream.Position = start;
        if (read == 4 && signature.SequenceEqual("PK\u0003\u0004"u8))
        {
            return ReadZip(stream, source);
        }
        if (read >= 1 && signature[0] == 0x80)
        {
            return ReadLegacy(stream, source);
        }
        throw new InvalidDataException($"{source}: not a PyTorch checkpoint: it starts with neither a zip header (torch.save's format since 1.6) nor a pickle (the legacy format).");
    }

    static Dictionary<string, Tensor> ReadZip(Stream stream, string source)
    {
        using (ZipArchive archive = OpenArchive(stream, source))
        {
            ZipArchiveEntry? pickle = null;
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                int slash = entry.FullName.IndexOf('/');
                if (slash > 0 && entry.FullName[(slash + 1)..] == "data.pkl")
                {
                    pickle = pickle is null ? entry : throw Error(source, $"the archive holds two pickles, '{pickle.FullName}' and '{entry.FullName}'");
                }
            }
            if (pickle is null)
            {
                throw Error(source, "the zip archive has no NAME/data.pkl: not a torch.save file");
            }
            string prefix = pickle.FullName[..^"data.pkl".Length];
            if (archive.GetEntry(prefix + "byteorder") is { } byteOrder
                && System.Text.Encoding.ASCII.GetString(ReadEntry(byteOrder, byteOrder.Length, source)) is var order && order != "little")
            {
                throw Error(source, $"the tensors are stored {order}-endian; only little-endian checkpoints are supported");
            }

            var storages = new Dictionary<string, PickledStorage>(StringComparer.Ordinal);
            object? root;
            using (var pickleStream = new MemoryStream(ReadEntry(pickle, pickle.Length, source), writable: false))
            {
                root = new RestrictedUnpickler(pickleStream, source, storages).Load();
            }
            List<(string Name, PickledTensor Tensor)> tensors = Flatten(root, source);

            var data = new Dictionary<PickledStorage, Storage>();
            foreach (var (_, tensor) in tensors)
            {
                PickledStorage storage = tensor.Storage;
                if (!data.ContainsKey(storage))
                {
                    int elementSize = CheckedByteCount(storage, source, out long byteCount);
                    ZipArchiveEntry entry = archive.GetEntry($"{prefix}data/{storage.Key}")
                        ?? throw Error(source, $"storage '{storage.Key}' has no file {prefix}data/{storage.Key} in the archive");
                    data.Add(storage, ToStorage(storage, ReadEntry(entry, byteCount, source), elementSize, source));
                }
            }
            return BuildTensors(tensors, data, source);
        }
    }

    static ZipArchive OpenArchive(Stream stream, string source)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or ArgumentException or NotSupportedException)
        {
            throw Error(source, $"the zip archive is corrupt or truncated ({exception.Message.TrimEnd('.')})");
        }
    }

    static Dictionary<string, Tensor> ReadLegacy(Stream stream, string source)
    {
        if (!stream.CanSeek)
        {
            throw new ArgumentException($"{source}: the legacy format needs a seekable stream.", nameof(stream));
        }
        var storages = new Dictionary<string, PickledStorage>(StringComparer.Ordinal);
        var unpickler = new RestrictedUnpickler(stream, source, storages);
        if (unpickler.Load() is not BigInteger magic || magic != LegacyMagic)
        {
            throw Error(source, "a pickle without torch.save's magic number: not a PyTorch checkpoint");
        }
        if (unpickler.Load() is not LegacyProtocolVersion)
        {
            throw Error(source, $"the legacy format's protocol version is not {LegacyProtocolVersion}");
        }
        if (unpickler.Load() is PickleDict systemInfo)
        {
            foreach (var (key, value) in systemInfo.Items)
            {
                if (key is "little_endian" && value is false)
                {
                    throw Error(source, "the tensors are stored big-endian; only little-endian checkpoints are supported");
                }
            }
        }
        else
        {
            throw Error(source, "the legacy format's system information is not a dict");
        }
        object? root = unpickler.Load();
        if (unpickler.Load() is not List<object?> keys)
        {
            throw Error(source, "the legacy format's storage keys are not a list");
        }
        List<(string Name, PickledTensor Tensor)> tensors = Flatten(root, source);

        var data = new Dictionary<PickledStorage, Storage>();
        Span<byte> countBytes = stackalloc byte[8];
        foreach (object? key in keys)
        {
            if (key is not string name || !storages.TryGetValue(name, out PickledStorage? storage))
            {
                throw Error(source, $"the storage list names {key ?? "None"}, which no tensor refers to");
            }
            if (data.ContainsKey(storage))
            {
                throw Error(source, $"storage '{name}' is stored twice");
            }
            if (stream.ReadAtLeast(countBytes, 8, throwOnEndOfStream: false) < 8)
            {
                throw Error(source, $"the file ends before storage '{name}' (truncated file?)");
            }
            long count = BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            if (count != storage.Numel)
            {
                throw Error(source, $"storage '{name}' holds {count} elements but the pickle says {storage.Numel}");
            }
            int elementSize = CheckedByteCount(storage, source, out long byteCount);
            if (byteCount > stream.Length - stream.Position)
            {
                throw Error(source, $"storage '{name}' needs {byteCount} bytes but only {stream.Length - stream.Position} are left (truncated file?)");
            }
            var bytes = new byte[byteCount];
            stream.ReadExactly(bytes);
            data.Add(storage, ToStorage(storage, bytes, elementSize, source));
        }
        foreach (var (_, tensor) in tensors)
        {
            if (!data.ContainsKey(tensor.Storage))
            {
                throw Error(source, $"storage '{tensor.Storage.Key}' is missing from the file");
            }
        }
        return BuildTensors(tensors, data, source);
    }

    // The checkpoint's tensors by dotted name: a state dict's keys as they are, nested dicts
    // ({"model": state_dict, …}) joined with '.', list items by index; other values are skipped.
    static List<(string Name, PickledTensor Tensor)> Flatten(object? root, string source)
    {
        if (root is not PickleDict)
        {
            throw Error(source, $"the checkpoint holds a {(root is PickledTensor ? "single tensor" : root?.GetType().Name ?? "None")}, not a dict of tensors (a state dict)");
        }
        var result = new List<(string, PickledTensor)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        // A container reached twice is a cycle or a shared sub-tree, never part of a state dict; refusing it
        // keeps the walk linear in the pickle's size (a chain of lists that each hold the previous one twice
        // would otherwise cost 2^depth).
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Collect(root, "", 0);
        return result;

        void Collect(object? value, string prefix, int depth)
        {
            if (depth > MaxNesting)
            {
                throw Error(source, $"dicts nested more than {MaxNesting} deep");
            }
            if (value is PickleDict or List<object?> or PickleTuple && !visited.Add(value!))
            {
                throw Error(source, $"the dict or list at '{prefix}' appears twice in the checkpoint (a cycle?)");
            }
            switch (value)
            {
                case PickledTensor tensor:
                    if (!names.Add(prefix))
                    {
                        throw Error(source, $"two tensors are named '{prefix}'");
                    }
                    result.Add((prefix, tensor));
                    break;
                case PickleDict dict:
                    foreach (var (key, item) in dict.Items)
                    {
                        string name = key switch
                        {
                            string text => text,
                            long number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            _ => throw Error(source, $"a dict key is a {key?.GetType().Name ?? "None"}, not a string"),
                        };
                        Collect(item, prefix.Length == 0 ? name : $"{prefix}.{name}", depth + 1);
                    }
                    break;
                case List<object?> list:
                    for (int i = 0; i < list.Count; i++)
                    {
                        Collect(list[i], prefix.Length == 0 ? $"{i}" : $"{prefix}.{i}", depth + 1);
                    }
                    break;
                case PickleTuple tuple:
                    for (int i = 0; i < tuple.Items.Length; i++)
                    {
                        Collect(tuple.Items[i], prefix.Length == 0 ? $"{i}" : $"{prefix}.{i}", depth + 1);
                    }
                    break;
            }
        }
    }

    static Dictionary<string, Tensor> BuildTensors(List<(string Name, PickledTensor Tensor)> tensors, Dictionary<PickledStorage, Storage> data, string source)
    {
        var result = new Dictionary<string, Tensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            result.Add(name, ToView(name, tensor, data[tensor.Storage], source));
        }
        return result;
    }

    // The tensor as a view of its storage, after checking that every element it can reach lies inside it.
    static Tensor ToView(string name, PickledTensor tensor, Storage storage, string source)
    {
        var shape = new int[tensor.Size.Length];
        var strides = new int[tensor.Size.Length];
        long numel = 1;
        Int128 lastElement = tensor.Offset;
        for (int i = 0; i < shape.Length; i++)
        {
            if (tensor.Size[i] > int.MaxValue || tensor.Stride[i] > int.MaxValue)
            {
                throw Error(source, $"tensor '{name}': size [{string.Join(", ", tensor.Size)}] or stride [{string.Join(", ", tensor.Stride)}] exceeds {int.MaxValue}");
            }
            shape[i] = (int)tensor.Size[i];
            strides[i] = (int)tensor.Stride[i];
            // Saturates just above int.MaxValue: both factors stay below 2^31, so nothing overflows.
            numel = Math.Min(numel * tensor.Size[i], (long)int.MaxValue + 1);
            lastElement += (Int128)Math.Max(tensor.Size[i] - 1, 0) * tensor.Stride[i];
        }
        if (numel == 0)
        {
            // No element is reachable: PyTorch does not check the offset, and neither does the view.
            return Tensor.OfStorage(storage, shape);
        }
        if (numel > int.MaxValue || lastElement >= tensor.Storage.Numel)
        {
            throw Error(source, $"tensor '{name}' of size [{string.Join(", ", tensor.Size)}], stride [{string.Join(", ", tensor.Stride)}] at offset {tensor.Offset} reaches beyond its storage '{tensor.Storage.Key}' of {tensor.Storage.Numel} elements");
        }
        return Tensor.OfStrided(storage, shape, strides, (int)tensor.Offset);
    }

    // Size of one stored element, after checking that the storage fits in one Nabla storage.
    static int CheckedByteCount(PickledStorage storage, string source, out long byteCount)
    {
        int elementSize = storage.Kind switch
        {
            TorchStorageKind.Double or TorchStorageKind.Long => 8,
            TorchStorageKind.Float or TorchStorageKind.Int => 4,
            TorchStorageKind.Half or TorchStorageKind.BFloat16 or TorchStorageKind.Short => 2,
            _ => 1,
        };
        if (storage.Numel > int.MaxValue || storage.Numel * elementSize > Array.MaxLength)
        {
            throw Error(source, $"storage '{storage.Key}' of {storage.Numel} {storage.Kind} elements is too large for one Nabla tensor");
        }
        byteCount = storage.Numel * elementSize;
        return elementSize;
    }

    // A storage's raw little-endian bytes as a Nabla storage: 16-bit floats widened to float32.
    static Storage ToStorage(PickledStorage storage, byte[] bytes, int elementSize, string source)
    {
        int numel = (int)storage.Numel;
        Storage result;
        switch (storage.Kind)
        {
            case TorchStorageKind.Half:
                result = Storage.AllocateUninitialized(DType.Float32, numel);
                HalfPrecision.Float16ToFloat32(bytes, result.Span<float>());
                return result;
            case TorchStorageKind.BFloat16:
                result = Storage.AllocateUninitialized(DType.Float32, numel);
                HalfPrecision.BFloat16ToFloat32(bytes, result.Span<float>());
                return result;
            case TorchStorageKind.Short or TorchStorageKind.Char:
                throw Error(source, $"storage '{storage.Key}' is torch.{(storage.Kind == TorchStorageKind.Short ? "int16" : "int8")}, which Nabla has no dtype for");
            case TorchStorageKind.Bool when bytes.AsSpan().IndexOfAnyExcept((byte)0, (byte)1) is var bad and >= 0:
                throw Error(source, $"storage '{storage.Key}': bool element {bad} is the byte 0x{bytes[bad]:X2}, not 0 or 1");
        }
        DType dtype = storage.Kind switch
        {
            TorchStorageKind.Float => DType.Float32,
            TorchStorageKind.Double => DType.Float64,
            TorchStorageKind.Long => DType.Int64,
            TorchStorageKind.Int => DType.Int32,
            TorchStorageKind.Byte => DType.UInt8,
            _ => DType.Bool,
        };
        result = Storage.AllocateUninitialized(dtype, numel);
        Span<byte> target = MemoryMarshal.CreateSpan(ref result.ByteRef, bytes.Length);
        bytes.CopyTo(target);
        if (!BitConverter.IsLittleEndian && elementSize > 1)
        {
            throw new PlatformNotSupportedException("PyTorchCheckpoint: reading on a big-endian machine is not supported.");
        }
        return result;
    }

    static byte[] ReadEntry(ZipArchiveEntry entry, long expectedLength, string source)
    {
        if (entry.Length != expectedLength)
        {
            throw Error(source, $"{entry.FullName} holds {entry.Length} bytes, {expectedLength} expected");
        }
        if (expectedLength > Array.MaxLength)
        {
            throw Error(source, $"{entry.FullName} of {expectedLength} bytes does not fit in one array");
        }
        try
        {
            using Stream data = entry.Open();
            // The length comes from the zip directory, which a corrupt file can fake: grow as bytes arrive.
            return BoundedRead.ReadExactly(data, expectedLength, sizeChecked: false,
                filled => new EndOfStreamException($"it ends after {filled} of {expectedLength} bytes"));
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or ArgumentException or NotSupportedException)
        {
            // ZipArchive's own errors (bad local header, CRC mismatch, unknown compression) and ours.
            throw Error(source, $"{entry.FullName} cannot be read ({exception.Message.TrimEnd('.')}; truncated or corrupt file?)");
        }
    }

    static InvalidDataException Error(string source, string problem) => new($"{source}: not a valid PyTorch checkpoint: {problem}.");
}
