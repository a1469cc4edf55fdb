using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// y[j] += Σₚ x[p]·W[j, p] for one input row against a row-major weight [rows, length]: a linear layer at batch 1
/// (or 2, row by row). Each weight row is read once, in place, 4 rows per pass sharing the loads of x: no packing,
/// which for a matrix–vector product costs as much as the product itself (the GEMM packs B on every call).
/// Rows are split over the worker pool when the weight is large enough to pay for it.
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>Weights below this many elements run on the calling thread.</summary>
    const int ParallelElements = 1 << 16;

    public static void Accumulate<T>(T* x, T* w, int rows, int length, T* y) where T : unmanaged, INumber<T>
    {
        const int rowsPerChunk = 16;
        int chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        if ((long)rows * length < ParallelElements || chunks < 2)
        {
            Rows(x, w, 0, rows, length, y);
            return;
        }
        // The operands go to the workers as a value, not a closure: a compiled graph's call allocates nothing.
        WorkerPool.For(chunks, 1, new Operands((nint)x, (nint)w, (nint)y, rows, length), static (o, start, end) =>
            Rows((T*)o.X, (T*)o.W, start * rowsPerChunk, Math.Min(end * rowsPerChunk, o.Rows), o.Length, (T*)o.Y));
    }

    readonly record struct Operands(nint X, nint W, nint Y, int Rows, int Length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Rows<T>(T* x, T* w, int begin, int end, int length, T* y) where T : unmanaged, INumber<T>
    {
        int j = begin;
        for (; j + 4 <= end; j += 4)
        {
            T* w0 = w + (long)j * length, w1 = w0 + length, w2 = w1 + length, w3 = w2 + length;
            Vector256<T> s0 = default, s1 = default, s2 = default, s3 = default;
            int width = Vector256<T>.Count, p = 0;
            for (; p + width <= length; p += width)
            {
                var xv = Vector256.Load(x + p);
                s0 += xv * Vector256.Load(w0 + p);
                s1 += xv * Vector256.Load(w1 + p);
                s2 += xv * Vector256.Load(w2 + p);
                s3 += xv * Vector256.Load(w3 + p);
            }
            T t0 = Vector256.Sum(s0), t1 = Vector256.Sum(s1), t2 = Vector256.Sum(s2), t3 = Vector256.Sum(s3);
            for (; p < length; p++)
            {
                t0 += x[p] * w0[p];
                t1 += x[p] * w1[p];
                t2 += x[p] * w2[p];
                t3 += x[p] * w3[p];
            }
            y[j] += t0; y[j + 1] += t1; y[j + 2] += t2; y[j + 3] += t3;
        }
        for (; j < end; j++)
        {
            T* row = w + (long)j * length;
            Vector256<T> s = default;
            int width = Vector256<T>.Count, p = 0;
            for (; p + width <= length; p += width) s += Vector256.Load(x + p) * Vector256.Load(row + p);
            T total = Vector256.Sum(s);
            for (; p < length; p++) total += x[p] * row[p];
            y[j] += total;
        }
    }
}
