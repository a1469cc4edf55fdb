using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// eˣ for float32 vectors, for the kernels whose rows are short or whose exponentials sit among other work:
/// the recurrent cells' σ, softmax and cross-entropy rows. TensorPrimitives.Exp rounds better but costs many
/// times as much on such rows (bench <c>lstm</c>; figures in bench/README.md).
/// </summary>
internal static unsafe class Exponential
{
    /// <summary>Whether <see cref="Exp(Vector512{float})"/> runs on this machine and path (otherwise the span helpers fall back to TensorPrimitives).</summary>
    public static readonly bool Vectorized = CpuFeatures.Active >= CpuIsa.Avx512 && Avx512F.IsSupported;

    /// <summary>
    /// eˣ in float32 (Cephes' expf, relative error ≤ 1.2e-7 measured): x = n ln 2 + r with |r| ≤ ln 2 / 2, eʳ by a
    /// degree-6 polynomial, 2ⁿ built in the exponent bits. x is clamped to [−87.3, 88.3], where 2ⁿ is a normal
    /// float (below it eˣ is 0); σ and tanh saturate long before. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Avx512F.Min(Avx512F.Max(x, Vector512.Create(-87.3f)), Vector512.Create(88.3f));
        var n = Avx512F.RoundScale(Avx512F.Multiply(clamped, Vector512.Create(1.44269504088896341f)), 0); // to nearest
        var r = Avx512F.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), clamped); // ln 2 in two parts
        r = Avx512F.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Avx512F.FusedMultiplyAdd(Avx512F.Multiply(p, r), r, Avx512F.Add(r, Vector512<float>.One)); // 1 + r + r²·p
        var scale = Avx512F.ShiftLeftLogical(Avx512F.Add(Avx512F.ConvertToVector512Int32(n), Vector512.Create(127)), 23).AsSingle();
        var result = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-87.3f)), Vector512<float>.Zero, Avx512F.Multiply(p, scale));
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary>destination[i] = e^(source[i] − shift); returns Σᵢ destination[i]. The spans may be the same.</summary>
    public static float ExpShifted(ReadOnlySpan<float> source, float shift, Span<float> destination)
    {
        if (!Vectorized)
        {
            TensorPrimitives.Subtract(source, shift, destination);
            TensorPrimitives.Exp(destination, destination);
            return TensorPrimitives.Sum(destination);
        }
        int n = source.Length, i = 0;
        var c = Vector512.Create(shift);
        var sum = Vector512<float>.Zero;
        fixed (float* x = source, y = destination)
        {
            for (; i + 16 <= n; i += 16)
            {
                var e = Exp(Avx512F.Subtract(Vector512.Load(x + i), c));
                e.Store(y + i);
                sum = Avx512F.Add(sum, e);
            }
            if (i < n)
            {
                // The last partial vector by masked load and store (the spans may alias, so no overlapping reread).
                var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
                var e = Exp(Avx512F.Subtract(Avx512F.MaskLoad(x + i, mask, c), c));
                Avx512F.MaskStore(y + i, mask, e);
                sum = Avx512F.Add(sum, Vector512.BitwiseAnd(e, mask));
            }
            float total = Vector512.Sum(sum);
            return total;
        }
    }
}
