using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Nabla.Tests.Fixtures;

/// <summary>Tolerant comparison of Nabla tensors with fixture tensors.</summary>
public static class FixtureAssert
{
    /// <summary>float32: |a − e| ≤ (1e-6 + 1e-5·|e|)·scale.</summary>
    public const double Float32Rtol = 1e-5, Float32Atol = 1e-6;
    /// <summary>float64: |a − e| ≤ (1e-10 + 1e-10·|e|)·scale.</summary>
    public const double Float64Rtol = 1e-10, Float64Atol = 1e-10;

    /// <summary>
    /// Asserts dtype, shape and values: integers and bools exactly, floats within tolerance
    /// (scaled by <paramref name="scale"/>), NaN equal to NaN and infinities equal to themselves.
    /// </summary>
    public static void Close(Tensor actual, FixtureTensor expected, string what, double scale = 1)
    {
        Assert.True(actual.DType == expected.DType, $"{what}: dtype {actual.DType}, PyTorch {expected.DType}.");
        int[] shape = actual.Shape.ToArray();
        Assert.True(shape.AsSpan().SequenceEqual(expected.Shape),
            $"{what}: shape [{string.Join(", ", shape)}], PyTorch [{string.Join(", ", expected.Shape)}].");
        Values(NablaBridge.ToDoubles(actual), expected.ToDoubles(), expected.DType, what, scale);
    }

    /// <summary>Compares flat values with the tolerance of <paramref name="dtype"/>.</summary>
    public static void Values(double[] actual, double[] expected, DType dtype, string what, double scale = 1)
    {
        Assert.True(actual.Length == expected.Length, $"{what}: {actual.Length} values, PyTorch {expected.Length}.");
        var (rtol, atol) = dtype switch
        {
            DType.Float32 => (Float32Rtol * scale, Float32Atol * scale),
            DType.Float64 => (Float64Rtol * scale, Float64Atol * scale),
            _ => (0.0, 0.0),
        };
        var report = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? a == e
                : Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            if (ok) continue;
            if (bad++ < 6) report.Append($" [{i}] {a:R} vs {e:R};");
        }
        Assert.True(bad == 0, $"{what}: {bad} of {actual.Length} values differ (Nabla vs PyTorch):{report}");
    }
}
