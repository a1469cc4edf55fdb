using System.Numerics;
using Nabla.Backends.Cpu;
using static Nabla.Tests.Backends.ConvolutionTests;

namespace Nabla.Tests.Backends;

/// <summary>Pooling kernels against naive references over many geometries and against PyTorch values.</summary>
[Collection(ExclusiveWorkerPoolCollection.Name)]
public unsafe class PoolingTests
{
    // (batch, channels, h, w, kh, kw, stride h/w, pad h/w, dilation h/w, ceil)
    public static readonly TheoryData<int[]> MaxGeometries = new()
    {
        new[] { 2, 3, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1, 0 },
        new[] { 1, 2, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1, 0 },
        new[] { 1, 2, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1 },
        new[] { 3, 1, 10, 11, 3, 2, 3, 2, 1, 1, 2, 2, 1 },
        new[] { 2, 2, 5, 6, 2, 3, 1, 2, 1, 0, 2, 1, 0 },
        new[] { 1, 1, 6, 6, 4, 4, 3, 3, 2, 2, 1, 1, 1 },
        // Rows wide enough for the 16-output vectors (float32 on AVX-512): stride 2 and 1, full and partial vectors, ceil mode.
        new[] { 2, 2, 11, 48, 3, 3, 2, 2, 1, 1, 1, 1, 0 },
        new[] { 1, 2, 7, 53, 3, 3, 2, 2, 1, 1, 1, 1, 1 },
        new[] { 1, 3, 6, 37, 3, 3, 1, 1, 1, 1, 1, 1, 0 },
        new[] { 1, 1, 5, 40, 2, 2, 2, 2, 0, 0, 1, 1, 0 },
        new[] { 1, 1, 5, 35, 2, 5, 1, 1, 0, 2, 1, 1, 0 },
        new[] { 1, 1, 4, 3, 2, 3, 1, 1, 0, 1, 1, 1, 0 },
    };

    private static Pool2dGeometry Geometry(int[] p) => new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12] != 0);

    [Theory]
    [MemberData(nameof(MaxGeometries))]
    public void MaxPool2d_matches_reference(int[] parameters)
    {
        CheckMax<float>(Geometry(parameters));
        CheckMax<double>(Geometry(parameters));
    }

    [Theory]
    [MemberData(nameof(MaxGeometries))]
    public void AvgPool2d_matches_reference(int[] parameters)
    {
        var g = Geometry(parameters) with { DilationH = 1, DilationW = 1 };
        foreach (bool includePad in new[] { true, false })
            foreach (int divisorOverride in new[] { 0, 5 })
            {
                CheckAvg<float>(g, includePad, divisorOverride, 1e-5);
                CheckAvg<double>(g, includePad, divisorOverride, 1e-12);
            }
    }

    /// <summary>Non-overlapping windows inside the image (kernel = stride, no padding): the tiled fast path, with and without an uncovered strip.</summary>
    public static TheoryData<int[]> TiledGeometries => new()
    {
        new[] { 3, 2, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1, 0 },
        new[] { 1, 2, 5, 7, 2, 2, 2, 2, 0, 0, 1, 1, 0 },
        new[] { 2, 1, 9, 10, 3, 3, 3, 3, 0, 0, 1, 1, 0 },
        new[] { 1, 3, 6, 8, 2, 3, 2, 3, 0, 0, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(TiledGeometries))]
    public void AvgPool2d_tiled_windows_match_reference(int[] parameters)
    {
        var g = Geometry(parameters);
        foreach (int divisorOverride in new[] { 0, 5 })
        {
            CheckAvg<float>(g, true, divisorOverride, 1e-5);
            CheckAvg<double>(g, false, divisorOverride, 1e-12);
        }
    }

    [Theory]
    [InlineData(7, 6, 3, 4)]
    [InlineData(5, 5, 5, 5)]
    [InlineData(4, 9, 1, 1)]
    [InlineData(3, 4, 7, 9)] // output larger than input: windows overlap and repeat
    public void AdaptivePool2d_matches_reference(int inHeight, int inWidth, int outHeight, int outWidth)
    {
        CheckAdaptive<float>(inHeight, inWidth, outHeight, outWidth, 1e-5);
        CheckAdaptive<double>(inHeight, inWidth, outHeight, outWidth, 1e-12);
    }

    [Fact]
    public void MaxPool2d_kernel3_stride2_padding1_ceil_mode_matches_pytorch()
    {
        var g = new Pool2dGeometry(1, 2, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true);
        Assert.Equal((4, 4), (g.OutHeight, g.OutWidth));
        var (y, indices, dx) = RunMax(g, PyTorchInput(), PyTorchGrad(32));
        ConvolutionTests.AssertClose(PyTorch.MaxY, y, 1e-12);
        Assert.Equal(PyTorch.MaxI, indices);
        ConvolutionTests.AssertClose(PyTorch.MaxDX, dx, 1e-12);
    }

    [Fact]
    public void MaxPool2d_dilation2_rectangular_matches_pytorch()
    {
        var g = new Pool2dGeometry(1, 2, 7, 6, 2, 3, 1, 2, 1, 0, 2, 2);
        Assert.Equal((7, 1), (g.OutHeight, g.OutWidth));
        var (y, indices, dx) = RunMax(g, PyTorchInput(), PyTorchGrad(14));
        ConvolutionTests.AssertClose(PyTorch.DilY, y, 1e-12);
        Assert.Equal(PyTorch.DilI, indices);
        ConvolutionTests.AssertClose(PyTorch.DilDX, dx, 1e-12);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AvgPool2d_ceil_mode_padding_matches_pytorch(bool countIncludePad)
    {
        var g = new Pool2dGeometry(1, 2, 7, 6, 3, 3, 2, 2, 1, 1, CeilMode: true);
        double[] x = PyTorchInput(), dy = PyTorchGrad(32), y = new double[32], dx = new double[84];
        fixed (double* px = x, pdy = dy, py = y, pdx = dx)
        {
            Pooling.AvgPool2dForward(g, px, py, countIncludePad);
            Pooling.AvgPool2dBackward(g, pdy, pdx, countIncludePad);
        }
        ConvolutionTests.AssertClose(countIncludePad ? PyTorch.AvgIncY : PyTorch.AvgExcY, y, 1e-9);
        ConvolutionTests.AssertClose(countIncludePad ? PyTorch.AvgIncDX : PyTorch.AvgExcDX, dx, 1e-9);
    }

    [Fact]
    public void AdaptivePool2d_matches_pytorch()
    {
        double[] x = PyTorchInput(), avgY = new double[24], avgDx = new double[84], maxY = new double[40], maxDx = new double[84];
        long[] indices = new long[40];
        double[] avgGrad = PyTorchGrad(24), maxGrad = PyTorchGrad(40);
        fixed (double* px = x, pay = avgY, padx = avgDx, pmy = maxY, pmdx = maxDx, pag = avgGrad, pmg = maxGrad)
        fixed (long* pi = indices)
        {
            Pooling.AdaptiveAvgPool2dForward(2, 7, 6, 3, 4, px, pay);
            Pooling.AdaptiveAvgPool2dBackward(2, 7, 6, 3, 4, pag, padx);
            Pooling.AdaptiveMaxPool2dForward(2, 7, 6, 4, 5, px, pmy, pi);
            Pooling.AdaptiveMaxPool2dBackward(2, 7, 6, 4, 5, pmg, pi, pmdx);
        }
        ConvolutionTests.AssertClose(PyTorch.AdaAvgY, avgY, 1e-9);
        ConvolutionTests.AssertClose(PyTorch.AdaAvgDX, avgDx, 1e-9);
        ConvolutionTests.AssertClose(PyTorch.AdaMaxY, maxY, 1e-12);
        Assert.Equal(PyTorch.AdaMaxI, indices);
        ConvolutionTests.AssertClose(PyTorch.AdaMaxDX, maxDx, 1e-12);
    }

    [Fact]
    public void MaxPool2d_propagates_nan_and_points_at_it()
    {
        // PyTorch: a NaN anywhere in the window becomes the maximum (`val > max || isnan(val)`).
        float[] x = [1f, float.NaN, 3f, 2f];
        float[] y = new float[1];
        long[] indices = new long[1];
        var g = new Pool2dGeometry(1, 1, 2, 2, 2, 2, 2, 2);
        fixed (float* px = x, py = y)
        fixed (long* pi = indices)
            Pooling.MaxPool2dForward(g, px, py, pi);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(1, indices[0]);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    public void MaxPool2d_ties_nans_and_minus_infinity_follow_pytorchs_rule_in_wide_rows(int stride, int pad)
    {
        // Few distinct values, so windows tie; NaN and −∞ among them. PyTorch: first position wins unless a later one is
        // greater or NaN; a window of only −∞ points at its first position.
        float[] palette = [0f, 1f, 1f, float.NegativeInfinity, float.NaN, 2f, float.NegativeInfinity];
        var g = new Pool2dGeometry(2, 1, 5, 41, 3, 3, stride, stride, pad, pad);
        var rng = new Random(5);
        var x = new float[2 * 5 * 41];
        for (int i = 0; i < x.Length; i++) x[i] = palette[rng.Next(palette.Length)];
        for (int i = 60; i < 75; i++) x[i] = float.NegativeInfinity; // an all −∞ stretch
        int oh = g.OutHeight, ow = g.OutWidth;
        var y = new float[2 * oh * ow];
        var indices = new long[y.Length];
        fixed (float* px = x, py = y)
        fixed (long* pi = indices)
            Pooling.MaxPool2dForward(g, px, py, pi);
        for (int p = 0; p < 2; p++)
            for (int r = 0; r < oh; r++)
                for (int c = 0; c < ow; c++)
                {
                    int ih0 = Math.Max(0, r * stride - pad), iw0 = Math.Max(0, c * stride - pad);
                    float best = float.NegativeInfinity;
                    long at = ih0 * 41 + iw0;
                    for (int ih = ih0; ih < Math.Min(5, r * stride - pad + 3); ih++)
                        for (int iw = iw0; iw < Math.Min(41, c * stride - pad + 3); iw++)
                        {
                            float v = x[p * 205 + ih * 41 + iw];
                            if (v > best || float.IsNaN(v)) { best = v; at = ih * 41 + iw; }
                        }
                    int o = (p * oh + r) * ow + c;
                    Assert.Equal(at, indices[o]);
                    Assert.Equal(best, y[o]);
                }
    }

    /// <summary>
    /// Values used for the PyTorch cases, produced by /usr/bin/python3 (Debian torch 1.13, float64):
    ///   x = (((torch.arange(84.) * 37) % 97) / 10 - 4).reshape(1, 2, 7, 6); grad = torch.arange(y.numel()) / 4 + 1
    ///   F.max_pool2d(x, 3, 2, 1, 1, ceil_mode=True, return_indices=True)            → MaxY, MaxI, x.grad → MaxDX
    ///   F.max_pool2d(x, (2, 3), (1, 2), (1, 0), 2, return_indices=True)             → DilY, DilI, DilDX
    ///   F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True / False)    → AvgIncY/DX, AvgExcY/DX
    ///   F.adaptive_avg_pool2d(x, (3, 4)); F.adaptive_max_pool2d(x, (4, 5), True)    → AdaAvgY/DX, AdaMaxY/I/DX
    /// </summary>
    private static class PyTorch
    {
        public static readonly double[] MaxY = [2.5, 3.4, 4.8, 4.8, 5.3, 5.3, 3.9, 3.5, 4.4, 4.9, 5.4, 3.5, 4.0, 4.5, 5.4, 2.2, 2.7, 3.6, 5.0, 5.0, 5.5, 5.5, 4.1, 3.7, 4.6, 5.1, 5.6, 3.7, 4.2, 4.7, 5.6, 2.4];
        public static readonly long[] MaxI = [7, 2, 5, 5, 13, 13, 10, 23, 18, 26, 34, 23, 31, 39, 34, 41, 7, 2, 5, 5, 13, 13, 10, 23, 18, 26, 34, 23, 31, 39, 34, 41];
        public static readonly double[] MaxDX = [0.0, 0.0, 1.25, 0.0, 0.0, 3.25, 0.0, 1.0, 0.0, 0.0, 2.5, 0.0, 0.0, 4.25, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 6.5, 0.0, 0.0, 3.25, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 8.0, 0.0, 0.0, 0.0, 0.0, 4.25, 0.0, 4.75, 0.0, 0.0, 5.25, 0.0, 0.0, 11.25, 0.0, 5.0, 0.0, 0.0, 6.5, 0.0, 0.0, 12.25, 0.0, 0.0, 0.0, 0.0, 7.0, 0.0, 0.0, 0.0, 0.0, 14.5, 0.0, 0.0, 7.25, 0.0, 0.0, 0.0, 0.0, 8.0, 0.0, 0.0, 16.0, 0.0, 0.0, 0.0, 0.0, 8.25, 0.0, 8.75];
        public static readonly double[] DilY = [3.9, 3.4, 4.4, 4.9, 5.4, 4.9, 5.4, 4.1, 3.6, 4.6, 5.1, 5.6, 5.1, 5.6];
        public static readonly long[] DilI = [10, 2, 18, 26, 34, 26, 34, 10, 2, 18, 26, 34, 26, 34];
        public static readonly double[] DilDX = [0.0, 0.0, 1.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.75, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        public static readonly double[] AvgIncY = [-0.3333333333, -0.0333333333, 0.5888888889, 0.45, 1.2222222222, 0.3777777778, 0.2333333333, 0.35, 0.6444444444, 0.5888888889, 0.4444444444, -0.0833333333, 0.5, 0.6777777778, 1.3, 0.2666666667, -0.2444444444, 0.1, 0.7222222222, 0.5166666667, 1.3555555556, 0.5777777778, 0.4333333333, 0.45, 0.7777777778, 0.7888888889, 0.6444444444, 0.0166666667, 0.5888888889, 0.8111111111, 1.4333333333, 0.3333333333];
        public static readonly double[] AvgIncDX = [0.1111111111, 0.25, 0.1388888889, 0.3055555556, 0.1666666667, 0.4583333333, 0.3333333333, 0.7222222222, 0.3888888889, 0.8333333333, 0.4444444444, 1.1944444444, 0.2222222222, 0.4722222222, 0.25, 0.5277777778, 0.2777777778, 0.7361111111, 0.5555555556, 1.1666666667, 0.6111111111, 1.2777777778, 0.6666666667, 1.75, 0.3333333333, 0.6944444444, 0.3611111111, 0.75, 0.3888888889, 1.0138888889, 0.7777777778, 1.6111111111, 0.8333333333, 1.7222222222, 0.8888888889, 2.3055555556, 0.4444444444, 0.9166666667, 0.4722222222, 0.9722222222, 0.5, 1.2916666667, 0.5555555556, 1.1388888889, 0.5833333333, 1.1944444444, 0.6111111111, 1.5694444444, 1.2222222222, 2.5, 1.2777777778, 2.6111111111, 1.3333333333, 3.4166666667, 0.6666666667, 1.3611111111, 0.6944444444, 1.4166666667, 0.7222222222, 1.8472222222, 1.4444444444, 2.9444444444, 1.5, 3.0555555556, 1.5555555556, 3.9722222222, 0.7777777778, 1.5833333333, 0.8055555556, 1.6388888889, 0.8333333333, 2.125, 1.6666666667, 3.3888888889, 1.7222222222, 3.5, 1.7777777778, 4.5277777778, 0.8888888889, 1.8055555556, 0.9166666667, 1.8611111111, 0.9444444444, 2.4027777778];
        public static readonly double[] AvgExcY = [-0.75, -0.05, 0.8833333333, 1.35, 1.8333333333, 0.3777777778, 0.2333333333, 0.7, 0.9666666667, 0.5888888889, 0.4444444444, -0.1666666667, 1.125, 1.0166666667, 1.95, 0.8, -0.55, 0.15, 1.0833333333, 1.55, 2.0333333333, 0.5777777778, 0.4333333333, 0.9, 1.1666666667, 0.7888888889, 0.6444444444, 0.0333333333, 1.325, 1.2166666667, 2.15, 1.0];
        public static readonly double[] AvgExcDX = [0.25, 0.4583333333, 0.2083333333, 0.4583333333, 0.25, 1.125, 0.5833333333, 1.0416666667, 0.4583333333, 0.9861111111, 0.5277777778, 2.3194444444, 0.3333333333, 0.5833333333, 0.25, 0.5277777778, 0.2777777778, 1.1944444444, 0.8333333333, 1.4444444444, 0.6111111111, 1.2777777778, 0.6666666667, 2.8333333333, 0.5, 0.8611111111, 0.3611111111, 0.75, 0.3888888889, 1.6388888889, 1.5, 2.5694444444, 1.0694444444, 2.2083333333, 1.1388888889, 4.7638888889, 1.0, 1.7083333333, 0.7083333333, 1.4583333333, 0.75, 3.125, 1.25, 2.125, 0.875, 1.7916666667, 0.9166666667, 3.7916666667, 2.25, 3.8194444444, 1.5694444444, 3.2083333333, 1.6388888889, 6.7638888889, 1.0, 1.6944444444, 0.6944444444, 1.4166666667, 0.7222222222, 2.9722222222, 2.1666666667, 3.6666666667, 1.5, 3.0555555556, 1.5555555556, 6.3888888889, 1.1666666667, 1.9722222222, 0.8055555556, 1.6388888889, 0.8333333333, 3.4166666667, 3.1666666667, 5.3472222222, 2.1805555556, 4.4305555556, 2.25, 9.2083333333, 2.0, 3.375, 1.375, 2.7916666667, 1.4166666667, 5.7916666667];
        public static readonly double[] AdaAvgY = [0.65, 1.1166666667, 0.4333333333, 0.9, 1.4, 1.8666666667, -0.4333333333, 0.0333333333, 0.5333333333, 1.0, 1.9333333333, 0.7833333333, 0.85, 1.3166666667, 0.6333333333, 1.1, 1.6, 2.0666666667, -0.2333333333, 0.2333333333, 0.7333333333, 1.2, 2.1333333333, 0.9833333333];
        public static readonly double[] AdaAvgDX = [0.1666666667, 0.375, 0.2083333333, 0.25, 0.5416666667, 0.2916666667, 0.1666666667, 0.375, 0.2083333333, 0.25, 0.5416666667, 0.2916666667, 0.5, 1.0833333333, 0.5833333333, 0.6666666667, 1.4166666667, 0.75, 0.3333333333, 0.7083333333, 0.375, 0.4166666667, 0.875, 0.4583333333, 0.8333333333, 1.75, 0.9166666667, 1.0, 2.0833333333, 1.0833333333, 0.5, 1.0416666667, 0.5416666667, 0.5833333333, 1.2083333333, 0.625, 0.5, 1.0416666667, 0.5416666667, 0.5833333333, 1.2083333333, 0.625, 0.6666666667, 1.375, 0.7083333333, 0.75, 1.5416666667, 0.7916666667, 0.6666666667, 1.375, 0.7083333333, 0.75, 1.5416666667, 0.7916666667, 1.5, 3.0833333333, 1.5833333333, 1.6666666667, 3.4166666667, 1.75, 0.8333333333, 1.7083333333, 0.875, 0.9166666667, 1.875, 0.9583333333, 1.8333333333, 3.75, 1.9166666667, 2.0, 4.0833333333, 2.0833333333, 1.0, 2.0416666667, 1.0416666667, 1.0833333333, 2.2083333333, 1.125, 1.0, 2.0416666667, 1.0416666667, 1.0833333333, 2.2083333333, 1.125];
        public static readonly double[] AdaMaxY = [2.5, 3.4, 3.4, 3.9, 4.8, 5.3, 5.3, 3.0, 3.9, 3.9, 4.4, 4.9, 4.9, 5.4, 5.4, 4.0, 4.0, 4.5, 5.4, 5.4, 2.7, 3.6, 3.6, 4.1, 5.0, 5.5, 5.5, 3.2, 4.1, 4.1, 4.6, 5.1, 5.1, 5.6, 5.6, 4.2, 4.2, 4.7, 5.6, 5.6];
        public static readonly long[] AdaMaxI = [7, 2, 2, 10, 5, 13, 13, 15, 10, 10, 18, 26, 26, 34, 34, 31, 31, 39, 34, 34, 7, 2, 2, 10, 5, 13, 13, 15, 10, 10, 18, 26, 26, 34, 34, 31, 31, 39, 34, 34];
        public static readonly double[] AdaMaxDX = [0.0, 0.0, 2.75, 0.0, 0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 8.0, 0.0, 0.0, 4.75, 0.0, 2.75, 0.0, 0.0, 3.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.75, 0.0, 0.0, 0.0, 0.0, 9.75, 0.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0, 5.25, 0.0, 0.0, 0.0, 0.0, 12.75, 0.0, 0.0, 7.0, 0.0, 6.0, 0.0, 0.0, 23.0, 0.0, 0.0, 14.75, 0.0, 7.75, 0.0, 0.0, 8.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 17.75, 0.0, 0.0, 0.0, 0.0, 19.75, 0.0, 0.0, 40.0, 0.0, 0.0, 0.0, 0.0, 10.25, 0.0, 0.0];
    }

    private static double[] PyTorchInput() => Enumerable.Range(0, 84).Select(i => i * 37 % 97 / 10.0 - 4).ToArray();

    private static double[] PyTorchGrad(int count) => Enumerable.Range(0, count).Select(i => i / 4.0 + 1).ToArray();

    private static (double[] Y, long[] Indices, double[] Dx) RunMax(Pool2dGeometry g, double[] x, double[] dy)
    {
        var y = new double[dy.Length];
        var indices = new long[dy.Length];
        var dx = new double[x.Length];
        fixed (double* px = x, py = y, pdy = dy, pdx = dx)
        fixed (long* pi = indices)
        {
            Pooling.MaxPool2dForward(g, px, py, pi);
            Pooling.MaxPool2dBackward(g, pdy, pi, pdx);
        }
        return (y, indices, dx);
    }

    private static void CheckMax<T>(Pool2dGeometry g) where T : unmanaged, INumber<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, planes = g.Batch * g.Channels;
        var rng = new Random(77);
        double[] x = Fill(rng, planes * g.InHeight * g.InWidth), dy = Fill(rng, planes * oh * ow);
        // Reference: first strict maximum over the window positions that fall inside the image.
        var y = new double[dy.Length];
        var index = new long[dy.Length];
        var dx = new double[x.Length];
        for (int p = 0; p < planes; p++)
            for (int r = 0; r < oh; r++)
                for (int c = 0; c < ow; c++)
                {
                    double best = double.NegativeInfinity;
                    long at = -1;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int ih = r * g.StrideH - g.PadH + i * g.DilationH, iw = c * g.StrideW - g.PadW + j * g.DilationW;
                            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                            double v = x[(p * g.InHeight + ih) * g.InWidth + iw];
                            if (v > best) { best = v; at = ih * g.InWidth + iw; }
                        }
                    int o = (p * oh + r) * ow + c;
                    y[o] = best;
                    index[o] = at;
                    dx[p * g.InHeight * g.InWidth + at] += dy[o];
                }

        T[] xt = Cast<T>(x), dyt = Cast<T>(dy), yt = new T[y.Length], dxt = Cast<T>(Fill(rng, x.Length));
        long[] indices = new long[y.Length];
        fixed (T* px = xt, pdy = dyt, py = yt, pdx = dxt)
        fixed (long* pi = indices)
        {
            if (typeof(T) == typeof(float))
            {
                Pooling.MaxPool2dForward(g, (float*)px, (float*)py, pi);
                Pooling.MaxPool2dBackward(g, (float*)pdy, pi, (float*)pdx);
            }
            else
            {
                Pooling.MaxPool2dForward(g, (double*)px, (double*)py, pi);
                Pooling.MaxPool2dBackward(g, (double*)pdy, pi, (double*)pdx);
            }
        }
        Assert.Equal(index, indices);
        ConvolutionTests.AssertClose(y, ToDouble(yt), 1e-6);
        ConvolutionTests.AssertClose(dx, ToDouble(dxt), 1e-6);
    }

    private static void CheckAvg<T>(Pool2dGeometry g, bool countIncludePad, int divisorOverride, double tolerance) where T : unmanaged, INumber<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth, planes = g.Batch * g.Channels;
        var rng = new Random(78);
        double[] x = Fill(rng, planes * g.InHeight * g.InWidth), dy = Fill(rng, planes * oh * ow);
        // Reference: window positions counted one by one; with padding counted, positions in the
        // padding band [−pad, size + pad) count but those beyond it (ceil_mode overhang) do not.
        var y = new double[dy.Length];
        var dx = new double[x.Length];
        for (int p = 0; p < planes; p++)
            for (int r = 0; r < oh; r++)
                for (int c = 0; c < ow; c++)
                {
                    double sum = 0;
                    int inside = 0, padded = 0;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int ih = r * g.StrideH - g.PadH + i, iw = c * g.StrideW - g.PadW + j;
                            if (ih < g.InHeight + g.PadH && iw < g.InWidth + g.PadW) padded++;
                            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                            inside++;
                            sum += x[(p * g.InHeight + ih) * g.InWidth + iw];
                        }
                    int divisor = divisorOverride > 0 ? divisorOverride : countIncludePad ? padded : inside;
                    int o = (p * oh + r) * ow + c;
                    y[o] = inside == 0 ? 0 : sum / divisor;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int ih = r * g.StrideH - g.PadH + i, iw = c * g.StrideW - g.PadW + j;
                            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                            dx[(p * g.InHeight + ih) * g.InWidth + iw] += dy[o] / divisor;
                        }
                }

        T[] xt = Cast<T>(x), dyt = Cast<T>(dy), yt = new T[y.Length], dxt = Cast<T>(Fill(rng, x.Length));
        fixed (T* px = xt, pdy = dyt, py = yt, pdx = dxt)
        {
            if (typeof(T) == typeof(float))
            {
                Pooling.AvgPool2dForward(g, (float*)px, (float*)py, countIncludePad, divisorOverride);
                Pooling.AvgPool2dBackward(g, (float*)pdy, (float*)pdx, countIncludePad, divisorOverride);
            }
            else
            {
                Pooling.AvgPool2dForward(g, (double*)px, (double*)py, countIncludePad, divisorOverride);
                Pooling.AvgPool2dBackward(g, (double*)pdy, (double*)pdx, countIncludePad, divisorOverride);
            }
        }
        ConvolutionTests.AssertClose(y, ToDouble(yt), tolerance);
        ConvolutionTests.AssertClose(dx, ToDouble(dxt), tolerance);
    }

    private static void CheckAdaptive<T>(int inHeight, int inWidth, int outHeight, int outWidth, double tolerance) where T : unmanaged, INumber<T>
    {
        const int planes = 3;
        var rng = new Random(79);
        double[] x = Fill(rng, planes * inHeight * inWidth), dy = Fill(rng, planes * outHeight * outWidth);
        var avg = new double[dy.Length];
        var max = new double[dy.Length];
        var index = new long[dy.Length];
        var avgDx = new double[x.Length];
        var maxDx = new double[x.Length];
        for (int p = 0; p < planes; p++)
            for (int r = 0; r < outHeight; r++)
                for (int c = 0; c < outWidth; c++)
                {
                    // Window [⌊r·H/oh⌋, ⌈(r+1)·H/oh⌉), computed in floating point as the definition reads.
                    int h0 = (int)Math.Floor(r * (double)inHeight / outHeight), h1 = (int)Math.Ceiling((r + 1) * (double)inHeight / outHeight);
                    int w0 = (int)Math.Floor(c * (double)inWidth / outWidth), w1 = (int)Math.Ceiling((c + 1) * (double)inWidth / outWidth);
                    int o = (p * outHeight + r) * outWidth + c, count = (h1 - h0) * (w1 - w0);
                    double sum = 0, best = double.NegativeInfinity;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++)
                        {
                            double v = x[(p * inHeight + ih) * inWidth + iw];
                            sum += v;
                            if (v > best) { best = v; index[o] = ih * inWidth + iw; }
                            avgDx[(p * inHeight + ih) * inWidth + iw] += dy[o] / count;
                        }
                    avg[o] = sum / count;
                    max[o] = best;
                    maxDx[p * inHeight * inWidth + index[o]] += dy[o];
                }

        T[] xt = Cast<T>(x), dyt = Cast<T>(dy), avgT = new T[avg.Length], maxT = new T[max.Length];
        T[] avgDxT = Cast<T>(Fill(rng, x.Length)), maxDxT = Cast<T>(Fill(rng, x.Length));
        long[] indices = new long[max.Length];
        fixed (T* px = xt, pdy = dyt, pa = avgT, pm = maxT, pad = avgDxT, pmd = maxDxT)
        fixed (long* pi = indices)
        {
            if (typeof(T) == typeof(float))
            {
                Pooling.AdaptiveAvgPool2dForward(planes, inHeight, inWidth, outHeight, outWidth, (float*)px, (float*)pa);
                Pooling.AdaptiveAvgPool2dBackward(planes, inHeight, inWidth, outHeight, outWidth, (float*)pdy, (float*)pad);
                Pooling.AdaptiveMaxPool2dForward(planes, inHeight, inWidth, outHeight, outWidth, (float*)px, (float*)pm, pi);
                Pooling.AdaptiveMaxPool2dBackward(planes, inHeight, inWidth, outHeight, outWidth, (float*)pdy, pi, (float*)pmd);
            }
            else
            {
                Pooling.AdaptiveAvgPool2dForward(planes, inHeight, inWidth, outHeight, outWidth, (double*)px, (double*)pa);
                Pooling.AdaptiveAvgPool2dBackward(planes, inHeight, inWidth, outHeight, outWidth, (double*)pdy, (double*)pad);
                Pooling.AdaptiveMaxPool2dForward(planes, inHeight, inWidth, outHeight, outWidth, (double*)px, (double*)pm, pi);
                Pooling.AdaptiveMaxPool2dBackward(planes, inHeight, inWidth, outHeight, outWidth, (double*)pdy, pi, (double*)pmd);
            }
        }
        ConvolutionTests.AssertClose(avg, ToDouble(avgT), tolerance);
        ConvolutionTests.AssertClose(avgDx, ToDouble(avgDxT), tolerance);
        ConvolutionTests.AssertClose(max, ToDouble(maxT), tolerance);
        Assert.Equal(index, indices);
        ConvolutionTests.AssertClose(maxDx, ToDouble(maxDxT), tolerance);
    }
}
