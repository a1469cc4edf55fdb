using System.Buffers.Binary;
using System.IO.Compression;

namespace Nabla.Cli.Plotting;

/// <summary>
/// Writes 8-bit RGB images as PNG files (the PNG specification, ISO/IEC 15948): a signature, an
/// IHDR chunk, the zlib-compressed rows each behind a filter byte, and IEND.
/// </summary>
public static class PngFile
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Writes a <paramref name="width"/> × <paramref name="height"/> image to <paramref name="stream"/>.</summary>
    /// <param name="stream">Where the PNG goes.</param>
    /// <param name="rgb">Pixels row by row, three bytes (red, green, blue) each.</param>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <exception cref="ArgumentException"><paramref name="rgb"/> does not hold width × height × 3 bytes.</exception>
    public static void Write(Stream stream, ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgb.Length != (long)width * height * 3)
        {
            throw new ArgumentException($"PngFile.Write: {width} × {height} RGB pixels take {(long)width * height * 3} bytes, got {rgb.Length}.", nameof(rgb));
        }
        stream.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;   // bits per channel
        header[9] = 2;   // colour type: RGB
        // compression 0 (deflate), filter method 0, no interlace
        WriteChunk(stream, "IHDR"u8, header);

        // Filter "Up" (each byte minus the one above) per row: plots are mostly flat colour, which
        // it turns into runs of zeros.
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            int stride = width * 3;
            var row = new byte[stride + 1];
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> current = rgb.Slice(y * stride, stride);
                row[0] = 2;
                if (y == 0)
                {
                    current.CopyTo(row.AsSpan(1));
                }
                else
                {
                    ReadOnlySpan<byte> above = rgb.Slice((y - 1) * stride, stride);
                    for (int i = 0; i < stride; i++)
                    {
                        row[i + 1] = (byte)(current[i] - above[i]);
                    }
                }
                zlib.Write(row);
            }
        }
        WriteChunk(stream, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(stream, "IEND"u8, []);
    }

    /// <summary>Writes the image to the file <paramref name="path"/>, creating its directory.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="rgb">Pixels row by row, three bytes (red, green, blue) each.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void Save(string path, ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        using FileStream file = File.Create(path);
        Write(file, rgb, width, height);
    }

    // A chunk: length, type, data, and the CRC-32 of type and data (all big-endian).
    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        stream.Write(type);
        stream.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return crc;
    }

    // CRC-32 with the reflected polynomial 0xEDB88320, as the PNG specification's annex D computes it.
    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
