using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nabla.Serialization;

/// <summary>
/// Saves and loads state dicts — named tensors such as <c>Module.StateDict()</c> returns — as
/// safetensors files (<c>safetensors.torch.save_file</c> / <c>load_file</c>), readable by
/// Python's <c>safetensors</c> package and PyTorch.
/// </summary>
/// <remarks>
/// Dtypes map one to one: Float32 ↔ F32, Float64 ↔ F64, Int64 ↔ I64, Int32 ↔ I32, UInt8 ↔ U8,
/// Bool ↔ BOOL; values round-trip bit for bit. F16 and BF16 tensors (written by other tools) load
/// as Float32 when asked (<c>halfToFloat32</c>), exactly. A file with another dtype (I8, I16, …), a
/// dimension beyond Int32.MaxValue, or a BOOL byte other than 0 or 1 is rejected with an
/// <see cref="InvalidDataException"/> that names the tensor. Files written by <c>torch.save</c>
/// load with <see cref="LoadPyTorch(string)"/>.
/// </remarks>
public static partial class StateDict
{
    /// <summary>Most dimensions a loaded tensor may have; more means a corrupt header.</summary>
    public const int MaxRank = 64;

    /// <summary>
    /// Saves named tensors and optional string metadata to <paramref name="path"/>, atomically
    /// (temporary file + rename, see <see cref="SafeTensors.WriteFile"/>): a failure leaves the
    /// previous file, if any, as it was.
    /// </summary>
    /// <param name="stateDict">The tensors by name, e.g. <c>model.StateDict()</c>; views and non-contiguous tensors are fine.</param>
    /// <param name="path">Path of the file; replaced if it exists.</param>
    /// <param name="metadata">Optional string metadata, stored under <c>"__metadata__"</c>.</param>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a tensor is null.</exception>
    public static void Save(IReadOnlyDictionary<string, Tensor> stateDict, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(path);
        // Converted lazily, inside WriteFile: the target is untouched whatever fails.
        SafeTensors.WriteFile(path, ToEntries(stateDict, "StateDict.Save"), metadata);
    }

    /// <summary>Writes named tensors and optional string metadata to a stream in safetensors format.</summary>
    /// <param name="stateDict">The tensors by name.</param>
    /// <param name="stream">The destination; it is not closed.</param>
    /// <param name="metadata">Optional string metadata, stored under <c>"__metadata__"</c>.</param>
    /// <exception cref="ArgumentException">A name is empty or reserved, or a tensor is null.</exception>
    public static void Save(IReadOnlyDictionary<string, Tensor> stateDict, Stream stream, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(stream);
        SafeTensors.Write(stream, ToEntries(stateDict, "StateDict.Save"), metadata);
    }

    /// <summary>Loads the tensors of a safetensors file.</summary>
    /// <param name="path">Path of the file.</param>
    /// <returns>The tensors by name, in the order of their data in the file; each owns its memory.</returns>
    /// <exception cref="InvalidDataException">The file is malformed or holds a tensor Nabla cannot represent; the message names the file and the tensor.</exception>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Loads the tensors and the metadata of a safetensors file.</summary>
    /// <param name="path">Path of the file.</param>
    /// <param name="metadata">The file's string metadata (<c>"__metadata__"</c>); empty when it has none.</param>
    /// <param name="halfToFloat32">Load F16 and BF16 tensors as Float32 (exactly) instead of rejecting them; Nabla has no 16-bit float dtype.</param>
    /// <returns>The tensors by name, in the order of their data in the file.</returns>
    /// <exception cref="InvalidDataException">The file is malformed or holds a tensor Nabla cannot represent.</exception>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata, bool halfToFloat32 = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (entries, fileMetadata) = SafeTensors.ReadFile(path);
        metadata = fileMetadata;
        return ToTensors(entries, path, halfToFloat32);
    }

    /// <summary>Reads the tensors and the metadata of a safetensors stream positioned at its start.</summary>
    /// <param name="stream">The source; it is read to its end and not closed.</param>
    /// <param name="metadata">The string metadata (<c>"__metadata__"</c>); empty when there is none.</param>
    /// <param name="halfToFloat32">Load F16 and BF16 tensors as Float32 (exactly) instead of rejecting them.</param>
    /// <returns>The tensors by name, in the order of their data.</returns>
    /// <exception cref="InvalidDataException">The data is malformed or holds a tensor Nabla cannot represent.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, out IReadOnlyDictionary<string, string> metadata, bool halfToFloat32 = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (entries, streamMetadata) = SafeTensors.Read(stream);
        metadata = streamMetadata;
        return ToTensors(entries, "safetensors stream", halfToFloat32);
    }

    /// <summary>
    /// Checks that <paramref name="loaded"/> fits <paramref name="expected"/> — the same names,
    /// and for each the same shape and dtype — and reports the first difference by name.
    /// </summary>
    /// <param name="expected">The state the tensors must fit, e.g. <c>model.StateDict()</c>.</param>
    /// <param name="loaded">The tensors read from a file.</param>
    /// <param name="what">What is being checked, for the message, e.g. <c>"model"</c>.</param>
    /// <param name="strict">Whether a name present in only one of the two is an error (<c>strict=True</c>); shapes and dtypes of common names are always checked.</param>
    /// <exception cref="InvalidDataException">A name is missing or unexpected, or a shape or dtype differs.</exception>
    public static void CheckMatches(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> loaded, string what = "state dict", bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(loaded);
        foreach (var (name, tensor) in expected)
        {
            if (!loaded.TryGetValue(name, out Tensor? other))
            {
                if (strict)
                {
                    throw new InvalidDataException($"{what}: missing key '{name}' (expected shape {tensor.Shape}, {tensor.DType}).");
                }
                continue;
            }
            if (other.Shape != tensor.Shape)
            {
                throw new InvalidDataException($"{what}: size mismatch for '{name}': shape {other.Shape} in the file, {tensor.Shape} expected.");
            }
            if (other.DType != tensor.DType)
            {
                throw new InvalidDataException($"{what}: dtype mismatch for '{name}': {other.DType} in the file, {tensor.DType} expected.");
            }
        }
        if (strict)
        {
            foreach (string name in loaded.Keys)
            {
                if (!expected.ContainsKey(name))
                {
                    throw new InvalidDataException($"{what}: unexpected key '{name}' (shape {loaded[name].Shape}).");
                }
            }
        }
    }

    /// <summary>The safetensors name of a dtype: F32, F64, I64, I32, U8 or BOOL.</summary>
    public static string ToSafeTensorsDType(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "StateDict: unknown dtype."),
    };

    /// <summary>The Nabla dtype of a safetensors dtype name, or <see langword="null"/> when Nabla has none (F16, BF16, I8, …).</summary>
    public static DType? FromSafeTensorsDType(string dtype) => dtype switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I64" => DType.Int64,
        "I32" => DType.Int32,
        "U8" => DType.UInt8,
        "BOOL" => DType.Bool,
        _ => null,
    };

    /// <summary>A tensor as a raw safetensors entry: its contiguous elements as little-endian bytes.</summary>
    /// <param name="name">Name of the entry.</param>
    /// <param name="tensor">The tensor; any layout; its autograd history is ignored.</param>
    public static SafeTensorEntry ToEntry(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        Tensor contiguous;
        using (Autograd.NoGrad())
        {
            contiguous = tensor.Contiguous();
        }
        int elementSize = contiguous.DType.ElementSize();
        var data = new byte[(long)contiguous.Count * elementSize];
        ref byte first = ref Unsafe.Add(ref contiguous.storage.ByteRef, (nint)contiguous.offset * elementSize);
        MemoryMarshal.CreateReadOnlySpan(ref first, data.Length).CopyTo(data);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseElements(data, elementSize);
        }
        var shape = new long[contiguous.Rank];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = contiguous.shape[i];
        }
        return new SafeTensorEntry(name, ToSafeTensorsDType(contiguous.DType), shape, data);
    }

    /// <summary>A raw safetensors entry as a tensor that owns its memory.</summary>
    /// <param name="entry">The entry, as <see cref="SafeTensors.ReadFile"/> returns it (byte count already checked).</param>
    /// <param name="source">The file or stream, for error messages.</param>
    /// <param name="halfToFloat32">Convert an F16 or BF16 entry to Float32 (exactly) instead of rejecting it.</param>
    /// <exception cref="InvalidDataException">The dtype has no Nabla equivalent, a dimension or the rank is too large, the byte count is wrong, or a BOOL byte is not 0 or 1.</exception>
    public static Tensor ToTensor(SafeTensorEntry entry, string source = "safetensors data", bool halfToFloat32 = false)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(source);
        bool isHalf = entry.DType is "F16" or "BF16";
        DType dtype = halfToFloat32 && isHalf
            ? DType.Float32
            : FromSafeTensorsDType(entry.DType)
                ?? throw Error(source, entry.Name, $"dtype {entry.DType} has no Nabla equivalent (supported: F32, F64, I64, I32, U8, BOOL{(isHalf ? "; F16 and BF16 load as F32 with halfToFloat32" : "")})");
        if (entry.Shape.Length > MaxRank)
        {
            throw Error(source, entry.Name, $"{entry.Shape.Length} dimensions exceed the limit of {MaxRank}");
        }
        var shape = new int[entry.Shape.Length];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long size = entry.Shape[i];
            if (size < 0 || size > int.MaxValue)
            {
                throw Error(source, entry.Name, $"dimension {i} of shape [{string.Join(", ", entry.Shape)}] is outside 0 … {int.MaxValue}");
            }
            shape[i] = (int)size;
            // Saturate rather than overflow; the byte-count check below then fails.
            count = count > int.MaxValue ? count : count * size;
        }
        int elementSize = isHalf ? 2 : dtype.ElementSize();
        if (count > int.MaxValue || count * elementSize != entry.Data.Length)
        {
            throw Error(source, entry.Name, $"shape [{string.Join(", ", entry.Shape)}] of {entry.DType} needs {(count > int.MaxValue ? "more than 2^31 elements" : $"{count * elementSize} bytes")} but the data has {entry.Data.Length}");
        }

        Storage storage;
        if (isHalf)
        {
            storage = Storage.AllocateUninitialized(DType.Float32, (int)count);
            if (entry.DType == "F16")
            {
                HalfPrecision.Float16ToFloat32(entry.Data, storage.Span<float>());
            }
            else
            {
                HalfPrecision.BFloat16ToFloat32(entry.Data, storage.Span<float>());
            }
        }
        else if (dtype == DType.UInt8)
        {
            // The entry's bytes are already the elements: use them, no copy.
            storage = Storage.Wrap(entry.Data);
        }
        else
        {
            if (dtype == DType.Bool)
            {
                int bad = entry.Data.AsSpan().IndexOfAnyExcept((byte)0, (byte)1);
                if (bad >= 0)
                {
                    throw Error(source, entry.Name, $"BOOL element {bad} is the byte 0x{entry.Data[bad]:X2}, not 0 or 1");
                }
            }
            storage = Storage.AllocateUninitialized(dtype, (int)count);
            entry.Data.AsSpan().CopyTo(MemoryMarshal.CreateSpan(ref storage.ByteRef, entry.Data.Length));
            if (!BitConverter.IsLittleEndian)
            {
                ReverseElements(MemoryMarshal.CreateSpan(ref storage.ByteRef, entry.Data.Length), elementSize);
            }
        }
        return Tensor.OfStorage(storage, shape);
    }

    private static IEnumerable<SafeTensorEntry> ToEntries(IReadOnlyDictionary<string, Tensor> stateDict, string op)
    {
        foreach (var (name, tensor) in stateDict)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"{op}: a tensor has an empty name.", nameof(stateDict));
            }
            if (tensor is null)
            {
                throw new ArgumentException($"{op}: tensor '{name}' is null.", nameof(stateDict));
            }
            yield return ToEntry(name, tensor);
        }
    }

    private static Dictionary<string, Tensor> ToTensors(IReadOnlyList<SafeTensorEntry> entries, string source, bool halfToFloat32 = false)
    {
        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (SafeTensorEntry entry in entries)
        {
            tensors.Add(entry.Name, ToTensor(entry, source, halfToFloat32));
        }
        return tensors;
    }

    // safetensors data is little-endian; on a big-endian machine each element is byte-swapped.
    private static void ReverseElements(Span<byte> data, int elementSize)
    {
        switch (elementSize)
        {
            case 8:
                var longs = MemoryMarshal.Cast<byte, long>(data);
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
            case 4:
                var ints = MemoryMarshal.Cast<byte, int>(data);
                BinaryPrimitives.ReverseEndianness(ints, ints);
                break;
        }
    }

    private static InvalidDataException Error(string source, string name, string problem) =>
        new($"{source}: tensor '{name}': {problem}.");
}
