using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Vision;

/// <summary>
/// Reads and writes IDX files, the format of MNIST and Fashion-MNIST
/// (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the number of dimensions,
/// each dimension as a big-endian 32-bit integer, then the values. Only unsigned bytes (type code
/// 0x08) are supported, which is what image and label files use. Files may be gzip-compressed;
/// compression is detected from the magic bytes, not from the file name.
/// </summary>
/// <remarks>
/// Every malformed input gives an <see cref="InvalidDataException"/> naming the file and the
/// problem. Sizes are checked before anything is allocated, and compressed data is read in
/// growing chunks, so a header that claims gigabytes fails on the missing bytes, not on memory.
/// Gzip data is checked against its CRC and length; bytes after the decompressed IDX content are
/// an error, but bytes after the gzip stream itself are ignored, as <c>gzip -d</c> does
/// (.NET's <see cref="GZipStream"/> does not report where the compressed stream ended).
/// </remarks>
public static class Idx
{
    /// <summary>IDX type code of unsigned bytes, the only element type supported.</summary>
    public const byte UnsignedByteTypeCode = 0x08;

    // More dimensions than any image or label file has; a larger count is a corrupt header.
    private const int MaxDimensions = 16;

    /// <summary>Reads an IDX file, gzip-compressed or raw.</summary>
    /// <param name="path">Path of the file.</param>
    /// <exception cref="InvalidDataException">The file is not a well-formed unsigned-byte IDX file.</exception>
    public static IdxFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Reads an IDX file, gzip-compressed or raw, from a stream positioned at its start.</summary>
    /// <param name="stream">The stream; it is read to its end and not closed.</param>
    /// <param name="sourceName">Name of the file or resource, used in error messages.</param>
    /// <exception cref="InvalidDataException">The data is not a well-formed unsigned-byte IDX file.</exception>
    public static IdxFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanSeek)
        {
            // Gzip detection peeks at two bytes; buffering a forward-only stream lets us look back.
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int magicLength = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        bool gzip = magicLength == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        if (!gzip)
        {
            return ReadIdx(stream, sourceName, remainingBytes: stream.Length - start);
        }

        try
        {
            using var decompressed = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            return ReadIdx(decompressed, sourceName, remainingBytes: null);
        }
        catch (InvalidDataException exception) when (!exception.Message.StartsWith(ErrorPrefix(sourceName), StringComparison.Ordinal))
        {
            throw Error(sourceName, $"corrupt gzip data ({exception.Message})", exception);
        }
    }

    /// <summary>Writes an unsigned-byte IDX file, gzip-compressed when the path ends in ".gz".</summary>
    /// <param name="path">Path of the file; it is replaced if it exists.</param>
    /// <param name="file">Dimensions and values to write.</param>
    /// <exception cref="ArgumentException">The data length is not the product of the dimensions.</exception>
    public static void Write(string path, IdxFile file)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream, file, gzip: path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Writes an unsigned-byte IDX file to a stream.</summary>
    /// <param name="stream">The stream; it is not closed.</param>
    /// <param name="file">Dimensions and values to write.</param>
    /// <param name="gzip">Whether to gzip-compress the output.</param>
    /// <exception cref="ArgumentException">The data length is not the product of the dimensions.</exception>
    public static void Write(Stream stream, IdxFile file, bool gzip)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(file.Dimensions);
        ArgumentNullException.ThrowIfNull(file.Data);
        int[] dimensions = file.Dimensions;
        if (dimensions.Length is 0 or > MaxDimensions)
        {
            throw new ArgumentException($"Idx.Write: {dimensions.Length} dimensions; expected 1 to {MaxDimensions}.", nameof(file));
        }

        foreach (int size in dimensions)
        {
            if (size < 0)
            {
                throw new ArgumentException($"Idx.Write: negative dimension in [{string.Join(", ", dimensions)}].", nameof(file));
            }
        }
        if (Product(dimensions) != file.Data.Length)
        {
            throw new ArgumentException(
                $"Idx.Write: dimensions [{string.Join(", ", dimensions)}] need {Product(dimensions)} values but Data has {file.Data.Length}.", nameof(file));
        }

        var header = new byte[4 + 4 * dimensions.Length];
        header[2] = UnsignedByteTypeCode;
        header[3] = (byte)dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        }

        if (gzip)
        {
            using var compressed = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
            compressed.Write(header);
            compressed.Write(file.Data);
        }
        else
        {
            stream.Write(header);
            stream.Write(file.Data);
        }
    }

    private static IdxFile ReadIdx(Stream stream, string sourceName, long? remainingBytes)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadHeader(stream, magic, sourceName, "the 4-byte magic number");
        if (magic[0] != 0 || magic[1] != 0)
        {
            throw Error(sourceName, $"wrong magic number 0x{magic[0]:X2}{magic[1]:X2}{magic[2]:X2}{magic[3]:X2}; an IDX file starts with two zero bytes");
        }
        if (magic[2] != UnsignedByteTypeCode)
        {
            throw Error(sourceName, $"unsupported type code 0x{magic[2]:X2} ({TypeName(magic[2])}); only unsigned bytes (0x08) are supported");
        }
        int rank = magic[3];
        if (rank is 0 or > MaxDimensions)
        {
            throw Error(sourceName, $"{rank} dimensions; expected 1 to {MaxDimensions}");
        }

        Span<byte> dimensionBytes = stackalloc byte[4 * rank];
        ReadHeader(stream, dimensionBytes, sourceName, $"{rank} dimension sizes");
        var dimensions = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(dimensionBytes[(4 * i)..]);
            if (size > int.MaxValue)
            {
                throw Error(sourceName, $"dimension {i} has absurd size {size}");
            }
            dimensions[i] = (int)size;
            // Each factor is < 2^31 and the running product is kept ≤ Array.MaxLength, so this never overflows.
            count *= size;
            if (count > Array.MaxLength)
            {
                throw Error(sourceName, $"dimensions [{string.Join(", ", dimensions[..(i + 1)])}...] hold more values than an array can");
            }
        }

        long headerBytes = 4 + 4L * rank;
        if (remainingBytes is long remaining)
        {
            long dataBytes = remaining - headerBytes;
            if (dataBytes < count)
            {
                throw Error(sourceName, $"truncated: dimensions [{string.Join(", ", dimensions)}] need {count} bytes of data but only {dataBytes} remain");
            }
            if (dataBytes > count)
            {
                throw Error(sourceName, $"{dataBytes - count} bytes of trailing garbage after the {count} bytes of data for dimensions [{string.Join(", ", dimensions)}]");
            }
        }

        byte[] data = Nabla.Serialization.BoundedRead.ReadExactly(stream, count, sizeChecked: remainingBytes is not null,
            filled => Error(sourceName, $"truncated: dimensions [{string.Join(", ", dimensions)}] need {count} bytes of data but only {filled} are present"));
        if (remainingBytes is null && stream.ReadByte() >= 0)
        {
            throw Error(sourceName, $"trailing garbage after the {count} bytes of data for dimensions [{string.Join(", ", dimensions)}]");
        }
        return new IdxFile(dimensions, data);
    }

    private static void ReadHeader(Stream stream, Span<byte> buffer, string sourceName, string what)
    {
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
        {
            throw Error(sourceName, $"truncated: ends after {read} of the {buffer.Length} bytes of {what}");
        }
    }


    // BigInteger: the product of caller-supplied sizes may overflow any fixed-width integer.
    private static System.Numerics.BigInteger Product(int[] dimensions)
    {
        System.Numerics.BigInteger product = 1;
        foreach (int size in dimensions)
        {
            product *= size;
        }
        return product;
    }

    private static string TypeName(byte typeCode) => typeCode switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown",
    };

    private static string ErrorPrefix(string sourceName) => $"{sourceName}: not a valid IDX file: ";

    private static InvalidDataException Error(string sourceName, string problem, Exception? inner = null) =>
        new($"{ErrorPrefix(sourceName)}{problem}.", inner);
}
