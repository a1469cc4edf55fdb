namespace Nabla.Serialization;

/// <summary>Reading a length that an untrusted file header claims, without trusting it for the allocation.</summary>
internal static class BoundedRead
{
    const int InitialChunkBytes = 1 << 20;

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes. When the stream's length has been checked
    /// (<paramref name="sizeChecked"/>), the buffer is allocated at its final size; otherwise (gzip
    /// data, forward-only streams) it grows as bytes arrive, doubling up to <paramref name="count"/>, so
    /// a header that claims more than the stream holds costs at most twice what is really there.
    /// </summary>
    /// <param name="stream">The source, positioned at the data.</param>
    /// <param name="count">How many bytes the header says follow.</param>
    /// <param name="sizeChecked">True when <paramref name="count"/> is known to fit in what the stream holds.</param>
    /// <param name="truncated">Makes the exception for a stream that ends early, given the bytes read so far.</param>
    public static byte[] ReadExactly(Stream stream, long count, bool sizeChecked, Func<int, Exception> truncated)
    {
        var data = new byte[sizeChecked ? count : Math.Min(count, InitialChunkBytes)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == data.Length)
            {
                Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            }
            int read = stream.Read(data, filled, data.Length - filled);
            if (read == 0)
            {
                throw truncated(filled);
            }
            filled += read;
        }
        return data;
    }
}
