namespace Nabla.Serialization;

// The values a restricted pickle can build. Python's None, bool, int, float, str and bytes are
// null, bool, long (or BigInteger), double, string and byte[]; lists are List<object?>.

/// <summary>The element type of a <c>torch.*Storage</c> class, as a pickle names it.</summary>
internal enum TorchStorageKind
{
    Float,
    Double,
    Half,
    BFloat16,
    Long,
    Int,
    Short,
    Char,
    Byte,
    Bool,
}

/// <summary>A Python tuple.</summary>
internal sealed record PickleTuple(object?[] Items);

/// <summary>A <c>torch.*Storage</c> class named by GLOBAL (not an instance).</summary>
internal sealed record StorageClass(TorchStorageKind Kind);

/// <summary>One of the few callables the restricted unpickler rebuilds, named by GLOBAL.</summary>
internal sealed record AllowedCallable(string QualifiedName);

/// <summary>
/// A storage that a persistent id refers to: its element type, its key in the archive (the file
/// <c>data/KEY</c> of a zip checkpoint, or the record KEY of a legacy one) and its element count.
/// </summary>
internal sealed record PickledStorage(TorchStorageKind Kind, string Key, long Numel);

/// <summary>A persistent id's storage with the element offset at which it starts (non-zero only for the legacy format's storage views).</summary>
internal sealed record StorageReference(PickledStorage Storage, long Offset);

/// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a storage and a strided view of it.</summary>
internal sealed record PickledTensor(PickledStorage Storage, long Offset, long[] Size, long[] Stride);

/// <summary>A Python dict or <c>collections.OrderedDict</c>: insertion order kept, a repeated key replaces the value.</summary>
internal sealed class PickleDict
{
    readonly Dictionary<object, int> index = new();
    readonly List<KeyValuePair<object?, object?>> items = [];

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => items;

    public void Set(object? key, object? value)
    {
        if (key is null or PickleDict or List<object?>)
        {
            // Unhashable in Python (dict, list), or None: no state dict uses them as keys.
            items.Add(new KeyValuePair<object?, object?>(key, value));
            return;
        }
        if (index.TryGetValue(key, out int position))
        {
            items[position] = new KeyValuePair<object?, object?>(key, value);
            return;
        }
        index.Add(key, items.Count);
        items.Add(new KeyValuePair<object?, object?>(key, value));
    }
}
