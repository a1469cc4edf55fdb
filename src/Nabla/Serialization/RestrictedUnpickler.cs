using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Nabla.Serialization;

/// <summary>
/// A pickle reader (protocols 2–5, the binary opcodes) that builds only data: None, booleans,
/// numbers, strings, bytes, tuples, lists, dicts, <c>collections.OrderedDict</c>, storages named by
/// persistent ids and tensors rebuilt by <c>torch._utils._rebuild_tensor_v2</c> /
/// <c>_rebuild_parameter</c>. Any other global is refused when the pickle names it, before
/// anything could call it (an <see cref="InvalidDataException"/> naming it); instance-building opcodes
/// (INST, OBJ, NEWOBJ, EXT) are refused too. Every length is checked against the bytes left, so
/// a corrupt pickle costs no more memory than its size.
/// </summary>
/// <remarks>
/// This is the idea of PyTorch's own <c>weights_only</c> unpickler (<c>torch/_weights_only_unpickler.py</c>)
/// with a smaller allow list: a checkpoint is read as data, never run as a program.
/// </remarks>
internal sealed class RestrictedUnpickler
{
    readonly Stream stream;
    readonly string source;
    readonly List<object?> stack = [];
    readonly Stack<int> marks = new();
    readonly Dictionary<long, object?> memo = [];
    readonly Dictionary<string, PickledStorage> storages;

    /// <param name="stream">A seekable stream positioned at the pickle; left just after its STOP.</param>
    /// <param name="source">The file or stream, for error messages.</param>
    /// <param name="storages">Storages by key, shared between the pickles of one checkpoint so that tensors of one storage share it.</param>
    public RestrictedUnpickler(Stream stream, string source, Dictionary<string, PickledStorage> storages)
    {
        this.stream = stream;
        this.source = source;
        this.storages = storages;
    }

    long Remaining => stream.Length - stream.Position;

    /// <summary>Reads one pickle up to its STOP opcode and returns the object it builds.</summary>
    /// <exception cref="InvalidDataException">The pickle names a global outside the allow list, is truncated or malformed, or uses an unsupported opcode.</exception>
    public object? Load()
    {
        // Each pickle has its own stack and memo; only the storages are shared.
        stack.Clear();
        marks.Clear();
        memo.Clear();
        while (true)
        {
            long at = stream.Position;
            int code = stream.ReadByte();
            if (code < 0)
            {
                throw Error(at, "the pickle ends before its STOP opcode (truncated file?)");
            }
            switch (code)
            {
                case 0x80: // PROTO
                    int protocol = ReadByte();
                    if (protocol > 5)
                    {
                        throw Error(at, $"pickle protocol {protocol} is newer than 5");
                    }
                    break;
                case 0x95: // FRAME: a length hint only
                    ReadBytes(8);
                    break;
                case '.': // STOP
                    if (stack.Count != 1 || marks.Count != 0)
                    {
                        throw Error(at, $"STOP with {stack.Count} values on the stack");
                    }
                    return stack[0];
                case '(': // MARK
                    marks.Push(stack.Count);
                    break;
                case '0': // POP
                    if (marks.Count > 0 && marks.Peek() == stack.Count)
                    {
                        marks.Pop();
                    }
                    else
                    {
                        Pop(at);
                    }
                    break;
                case '1': // POP_MARK
                    PopMark(at);
                    break;
                case '2': // DUP
                    Push(Peek(at));
                    break;

                case 'N': Push(null); break;
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case 'K': Push((long)ReadByte()); break; // BININT1
                case 'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: Push(ReadLong(ReadLength(4, at))); break; // LONG4
                case 'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT

                case 'X': Push(ReadUtf8(ReadLength(4, at), at)); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte(), at)); break; // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(ReadLength(8, at), at)); break; // BINUNICODE8
                case 'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(4, at)))); break; // BINSTRING
                case 'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case 'B': Push(ReadBytes(ReadLength(4, at))); break; // BINBYTES
                case 'C': Push(ReadBytes(ReadByte())); break; // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength(8, at))); break; // BINBYTES8
                case 0x96: Push(ReadBytes(ReadLength(8, at))); break; // BYTEARRAY8

                case ')': Push(new PickleTuple([])); break; // EMPTY_TUPLE
                case 0x85: Push(TupleOf(1, at)); break; // TUPLE1
                case 0x86: Push(TupleOf(2, at)); break; // TUPLE2
                case 0x87: Push(TupleOf(3, at)); break; // TUPLE3
                case 't': Push(new PickleTuple(PopMark(at))); break; // TUPLE
                case ']': Push(new List<object?>()); break; // EMPTY_LIST
                case 'l': Push(new List<object?>(PopMark(at))); break; // LIST
                case '}': Push(new PickleDict()); break; // EMPTY_DICT
                case 'd': // DICT
                    var dict = new PickleDict();
                    SetItems(dict, PopMark(at), at);
                    Push(dict);
                    break;
                case 'a': // APPEND
                    object? item = Pop(at);
                    ListAt(stack.Count - 1, at).Add(item);
                    break;
                case 'e': // APPENDS
                    object?[] items = PopMark(at);
                    ListAt(stack.Count - 1, at).AddRange(items);
                    break;
                case 's': // SETITEM
                    object? value = Pop(at);
                    object? key = Pop(at);
                    DictAt(stack.Count - 1, at).Set(key, value);
                    break;
                case 'u': // SETITEMS
                    object?[] pairs = PopMark(at);
                    SetItems(DictAt(stack.Count - 1, at), pairs, at);
                    break;

                case 'q': Memoize(ReadByte(), at); break; // BINPUT
                case 'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)), at); break; // LONG_BINPUT
                case 0x94: Memoize(memo.Count, at); break; // MEMOIZE
                case 'h': Push(Recall(ReadByte(), at)); break; // BINGET
                case 'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)), at)); break; // LONG_BINGET

                case 'c': // GLOBAL "module\nname\n"
                    string module = ReadLine(at);
                    string name = ReadLine(at);
                    Push(ResolveGlobal(module, name));
                    break;
                case 0x93: // STACK_GLOBAL
                    object? globalName = Pop(at);
                    object? globalModule = Pop(at);
                    if (globalModule is not string moduleText || globalName is not string nameText)
                    {
                        throw Error(at, "STACK_GLOBAL needs two strings");
                    }
                    Push(ResolveGlobal(moduleText, nameText));
                    break;
                case 'R': // REDUCE
                    object? arguments = Pop(at);
                    object? callable = Pop(at);
                    Push(Reduce(callable, arguments, at));
                    break;
                case 'b': // BUILD
                    object? state = Pop(at);
                    Build(Peek(at), state, at);
                    break;
                case 'Q': // BINPERSID
                    Push(PersistentLoad(Pop(at), at));
                    break;

                default:
                    throw Error(at, $"opcode 0x{code:X2} ('{(code is >= 0x20 and < 0x7f ? (char)code : '?')}') is not supported by the restricted unpickler");
            }
        }
    }

    object ResolveGlobal(string module, string name)
    {
        switch ($"{module}.{name}")
        {
            case "collections.OrderedDict":
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_parameter":
                return new AllowedCallable($"{module}.{name}");
        }
        if (module == "torch")
        {
            TorchStorageKind? kind = name switch
            {
                "FloatStorage" => TorchStorageKind.Float,
                "DoubleStorage" => TorchStorageKind.Double,
                "HalfStorage" => TorchStorageKind.Half,
                "BFloat16Storage" => TorchStorageKind.BFloat16,
                "LongStorage" => TorchStorageKind.Long,
                "IntStorage" => TorchStorageKind.Int,
                "ShortStorage" => TorchStorageKind.Short,
                "CharStorage" => TorchStorageKind.Char,
                "ByteStorage" => TorchStorageKind.Byte,
                "BoolStorage" => TorchStorageKind.Bool,
                _ => null,
            };
            if (kind is { } storageKind)
            {
                return new StorageClass(storageKind);
            }
        }
        throw new InvalidDataException(
            $"{source}: the pickle refers to the global '{module}.{name}', which the restricted unpickler refuses: only "
            + "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage and collections.OrderedDict are allowed (nothing was executed).");
    }

    object? Reduce(object? callable, object? arguments, long at)
    {
        if (callable is not AllowedCallable allowed)
        {
            throw Error(at, $"REDUCE calls a {Describe(callable)}, not an allowed function");
        }
        if (arguments is not PickleTuple tuple)
        {
            throw Error(at, $"REDUCE of {allowed.QualifiedName} has {Describe(arguments)} arguments, not a tuple");
        }
        object?[] args = tuple.Items;
        switch (allowed.QualifiedName)
        {
            case "collections.OrderedDict":
                var dict = new PickleDict();
                if (args.Length == 1 && args[0] is List<object?> pairList)
                {
                    foreach (object? pair in pairList)
                    {
                        if (pair is not PickleTuple { Items.Length: 2 } keyValue)
                        {
                            throw Error(at, "OrderedDict's argument is not a list of (key, value) pairs");
                        }
                        dict.Set(keyValue.Items[0], keyValue.Items[1]);
                    }
                }
                else if (args.Length != 0)
                {
                    throw Error(at, $"OrderedDict called with {args.Length} arguments");
                }
                return dict;
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
                if (args.Length < 4 || args.Length > 7)
                {
                    throw Error(at, $"{allowed.QualifiedName} called with {args.Length} arguments, expected 4 to 7");
                }
                if (args[0] is not StorageReference reference)
                {
                    throw Error(at, $"{allowed.QualifiedName}'s storage is a {Describe(args[0])}, not a storage");
                }
                long offset = AsInteger(args[1], "storage_offset", at);
                long[] size = AsIntegers(args[2], "size", at);
                long[] stride = AsIntegers(args[3], "stride", at);
                if (size.Length != stride.Length)
                {
                    throw Error(at, $"a tensor's size ({size.Length} dimensions) and stride ({stride.Length}) differ in length");
                }
                return new PickledTensor(reference.Storage, checked(reference.Offset + offset), size, stride);
            case "torch._utils._rebuild_parameter":
                // (data, requires_grad, backward_hooks): a Parameter is its data for a state dict.
                if (args.Length != 3 || args[0] is not PickledTensor data)
                {
                    throw Error(at, "_rebuild_parameter needs (tensor, requires_grad, backward_hooks)");
                }
                return data;
            default:
                throw Error(at, $"{allowed.QualifiedName} cannot be called");
        }
    }

    void Build(object? target, object? state, long at)
    {
        // OrderedDict's BUILD sets attributes such as a state dict's _metadata (layer versions):
        // Nabla does not use them. A tensor's state after _rebuild_parameter is its Python attributes.
        if (target is PickleDict or PickledTensor && state is null or PickleDict or PickleTuple)
        {
            return;
        }
        throw Error(at, $"BUILD on a {Describe(target)} with a {Describe(state)} state is not supported");
    }

    StorageReference PersistentLoad(object? id, long at)
    {
        // Zip format: ('storage', StorageClass, key, location, numel);
        // legacy format: the same plus view_metadata, None or (view_key, offset, view_size).
        if (id is not PickleTuple { Items: var items } || items.Length is not (5 or 6) || items[0] is not "storage")
        {
            throw Error(at, $"persistent id {Describe(id)} is not ('storage', type, key, location, numel)");
        }
        if (items[1] is not StorageClass storageClass)
        {
            throw Error(at, $"persistent id's storage type is a {Describe(items[1])}");
        }
        string key = items[2] as string ?? (items[2] is long number ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : throw Error(at, "persistent id's key is not a string"));
        long numel = AsInteger(items[4], "storage numel", at);
        if (storages.TryGetValue(key, out PickledStorage? known))
        {
            if (known.Kind != storageClass.Kind || known.Numel != numel)
            {
                throw Error(at, $"storage '{key}' is referred to as {known.Numel} {known.Kind} and as {numel} {storageClass.Kind}");
            }
        }
        else
        {
            known = new PickledStorage(storageClass.Kind, key, numel);
            storages.Add(key, known);
        }
        if (items.Length == 6 && items[5] is not null)
        {
            if (items[5] is not PickleTuple { Items: [string, var viewOffset, var viewSize] })
            {
                throw Error(at, "legacy storage view metadata is not (key, offset, size)");
            }
            long offset = AsInteger(viewOffset, "storage view offset", at);
            long size = AsInteger(viewSize, "storage view size", at);
            if (offset > numel || size > numel - offset)
            {
                throw Error(at, $"storage view [{offset}, {offset} + {size}) exceeds storage '{key}' of {numel} elements");
            }
            return new StorageReference(known, offset);
        }
        return new StorageReference(known, 0);
    }

    long AsInteger(object? value, string what, long at) => value switch
    {
        long number when number >= 0 => number,
        _ => throw Error(at, $"{what} is {Describe(value)}, not a non-negative integer"),
    };

    long[] AsIntegers(object? value, string what, long at)
    {
        if (value is not PickleTuple tuple)
        {
            throw Error(at, $"{what} is a {Describe(value)}, not a tuple");
        }
        if (tuple.Items.Length > StateDict.MaxRank)
        {
            throw Error(at, $"{what} has {tuple.Items.Length} dimensions, more than {StateDict.MaxRank}");
        }
        var result = new long[tuple.Items.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = AsInteger(tuple.Items[i], $"{what}[{i}]", at);
        }
        return result;
    }

    void SetItems(PickleDict dict, object?[] pairs, long at)
    {
        if (pairs.Length % 2 != 0)
        {
            throw Error(at, $"SETITEMS with an odd number ({pairs.Length}) of keys and values");
        }
        for (int i = 0; i < pairs.Length; i += 2)
        {
            dict.Set(pairs[i], pairs[i + 1]);
        }
    }

    PickleTuple TupleOf(int count, long at)
    {
        if (stack.Count - CurrentMarkFloor() < count)
        {
            throw Error(at, $"a {count}-tuple needs {count} values on the stack");
        }
        var items = stack.GetRange(stack.Count - count, count).ToArray();
        stack.RemoveRange(stack.Count - count, count);
        return new PickleTuple(items);
    }

    List<object?> ListAt(int index, long at) =>
        index >= CurrentMarkFloor() && index >= 0 && stack[index] is List<object?> list ? list : throw Error(at, "APPEND to something that is not a list");

    PickleDict DictAt(int index, long at) =>
        index >= CurrentMarkFloor() && index >= 0 && stack[index] is PickleDict dict ? dict : throw Error(at, "SETITEM on something that is not a dict");

    int CurrentMarkFloor() => marks.Count > 0 ? marks.Peek() : 0;

    void Push(object? value) => stack.Add(value);

    object? Peek(long at) => stack.Count > CurrentMarkFloor() ? stack[^1] : throw Error(at, "the stack is empty");

    object? Pop(long at)
    {
        object? value = Peek(at);
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    object?[] PopMark(long at)
    {
        if (marks.Count == 0)
        {
            throw Error(at, "no MARK to pop to");
        }
        int start = marks.Pop();
        object?[] items = stack.GetRange(start, stack.Count - start).ToArray();
        stack.RemoveRange(start, stack.Count - start);
        return items;
    }

    void Memoize(long index, long at) => memo[index] = Peek(at);

    object? Recall(long index, long at) =>
        memo.TryGetValue(index, out object? value) ? value : throw Error(at, $"memo entry {index} is read before it is written");

    int ReadByte()
    {
        int value = stream.ReadByte();
        return value >= 0 ? value : throw Error(stream.Position, "the pickle ends inside an opcode (truncated file?)");
    }

    byte[] ReadBytes(long count)
    {
        if (count > Remaining)
        {
            throw Error(stream.Position, $"an opcode needs {count} bytes but only {Remaining} are left (truncated file?)");
        }
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }

    // A length prefix of 4 or 8 bytes, checked against what is left so that no allocation trusts it.
    long ReadLength(int width, long at)
    {
        byte[] bytes = ReadBytes(width);
        ulong length = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (length > (ulong)Remaining || length > (ulong)Array.MaxLength)
        {
            throw Error(at, $"a length of {length} bytes exceeds the {Remaining} bytes left (truncated or corrupt file?)");
        }
        return (long)length;
    }

    object ReadLong(long byteCount)
    {
        // Little-endian two's complement, as LONG1/LONG4 encode Python ints.
        byte[] bytes = ReadBytes(byteCount);
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    string ReadUtf8(long count, long at)
    {
        byte[] bytes = ReadBytes(count);
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(at, "a string is not valid UTF-8");
        }
    }

    string ReadLine(long at)
    {
        var line = new StringBuilder();
        while (true)
        {
            int value = ReadByte();
            if (value == '\n')
            {
                return line.ToString();
            }
            if (line.Length >= 256)
            {
                throw Error(at, "a GLOBAL name is longer than 256 characters");
            }
            line.Append((char)value);
        }
    }

    static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        PickleTuple tuple => $"tuple of {tuple.Items.Length}",
        List<object?> => "list",
        PickleDict => "dict",
        AllowedCallable callable => callable.QualifiedName,
        StorageClass storageClass => $"torch.{storageClass.Kind}Storage class",
        StorageReference => "storage",
        PickledTensor => "tensor",
        _ => value.GetType().Name,
    };

    InvalidDataException Error(long at, string problem) => new($"{source}: invalid pickle at byte {at}: {problem}.");
}
