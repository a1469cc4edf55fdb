using System.Numerics;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class GemmKernels
{
    /// <summary>Rows of the portable micro-tile.</summary>
    public const int PortableRows = 4;

    /// <summary>
    /// Portable micro-kernel for any hardware: a 4 × (2·W) tile of C, W = <c>Vector&lt;T&gt;.Count</c>, in 8 vector
    /// accumulators (fits the 16 registers of SSE/NEON machines). Uses multiply then add, since a fused
    /// multiply-add is emulated, and very slow, where the hardware lacks it.
    /// C[r, :] (+)= Σ_p a[p·4 + r] · b[p·2W .. p·2W + 2W).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void Portable<T>(long kc, T* a, T* b, T* c, long ldc, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        int w = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default, c30 = default, c31 = default;

        for (long p = 0; p < kc; p++)
        {
            Vector<T> b0 = Vector.Load(b);
            Vector<T> b1 = Vector.Load(b + w);

            var ai = new Vector<T>(a[0]);
            c00 += ai * b0; c01 += ai * b1;
            ai = new Vector<T>(a[1]);
            c10 += ai * b0; c11 += ai * b1;
            ai = new Vector<T>(a[2]);
            c20 += ai * b0; c21 += ai * b1;
            ai = new Vector<T>(a[3]);
            c30 += ai * b0; c31 += ai * b1;

            a += PortableRows;
            b += 2 * w;
        }

        StoreRow(c, w, c00, c01, accumulate);
        StoreRow(c + ldc, w, c10, c11, accumulate);
        StoreRow(c + 2 * ldc, w, c20, c21, accumulate);
        StoreRow(c + 3 * ldc, w, c30, c31, accumulate);
    }

    /// <summary>Writes (or adds) two vectors to one row of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T* c, int w, Vector<T> v0, Vector<T> v1, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        if (accumulate)
        {
            v0 += Vector.Load(c);
            v1 += Vector.Load(c + w);
        }

        v0.Store(c);
        v1.Store(c + w);
    }
}
