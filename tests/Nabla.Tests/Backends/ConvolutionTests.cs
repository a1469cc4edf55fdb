using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>
/// Convolution kernels against a naive 7-loop reference (computed in float64), on every pass,
/// for float32 and float64, plus a few values produced by PyTorch.
/// </summary>
[Collection(ExclusiveWorkerPoolCollection.Name)]
public unsafe class ConvolutionTests
{
    // (batch, cin, h, w, cout, kh, kw, stride h/w, pad h/w, dilation h/w, groups)
    public static readonly TheoryData<string, int[]> Geometries = new()
    {
        { "basic 3x3", [2, 3, 7, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1] },
        { "3x3 pad 1", [1, 4, 8, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1] },
        { "3x3 stride 2 pad 1 odd", [3, 3, 9, 11, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1] },
        { "5x5 pad 2 one channel", [3, 1, 12, 10, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1] },
        { "dilation 2", [2, 3, 11, 9, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1] },
        { "rectangular kernel", [2, 2, 7, 9, 3, 2, 4, 1, 2, 0, 1, 1, 1, 1] },
        { "groups 2", [2, 4, 6, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2] },
        { "depthwise", [3, 4, 7, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4] },
        { "depthwise multiplier 2 stride 2", [1, 3, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3] },
        { "depthwise dilation 2, stride 2 by 1, rectangular", [2, 5, 9, 10, 5, 3, 2, 2, 1, 2, 1, 2, 2, 5] },
        { "depthwise wide rows (vector body)", [2, 3, 6, 37, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3] },
        { "1x1", [3, 5, 4, 6, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1] },
        { "1x1 stride 2", [2, 4, 7, 7, 3, 1, 1, 2, 2, 0, 0, 1, 1, 1] },
        // Strided 1×1 layers gather their column matrix by subsampling and write the input gradient's rows outright.
        { "1x1 stride 2, rows of 35 outputs (three vectors), sample blocks", [5, 6, 9, 70, 7, 1, 1, 2, 2, 0, 0, 1, 1, 1] },
        { "1x1 stride 3 by 2, odd sizes (rows past the last sample)", [2, 3, 10, 11, 4, 1, 1, 3, 2, 0, 0, 1, 1, 1] },
        { "1x1 stride 2 by 3", [2, 3, 9, 10, 5, 1, 1, 2, 3, 0, 0, 1, 1, 1] },
        { "1x1 stride 2, groups 2", [2, 4, 8, 8, 6, 1, 1, 2, 2, 0, 0, 1, 1, 2] },
        { "ResNet downsampling shortcut (conv-down), batch 3", [3, 64, 24, 24, 128, 1, 1, 2, 2, 0, 0, 1, 1, 1] },
        { "1x1 pad 1", [1, 2, 3, 4, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
        { "kernel larger than stride, stride 3 pad 2", [2, 2, 10, 8, 3, 4, 3, 3, 2, 2, 1, 1, 2, 1] },
        { "wide image", [1, 2, 40, 33, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1] },
        { "sample blocks of 3 with a remainder of 2", [5, 2, 10, 20, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1] },
        { "batch 1 lenet2-like", [1, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1] },
        // float32 layers with Cin·kh·kw ≤ 32 and ≥ 8 output columns take the direct SmallInputConvolution path.
        { "lenet1 (direct path)", [3, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1] },
        { "direct path, 11 channels in two blocks, no tail", [2, 2, 9, 16, 11, 3, 3, 1, 1, 0, 1, 1, 1, 1] },
        { "direct path, 3 input channels, rectangular, tail of 5", [3, 3, 7, 13, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1] },
        { "direct path, 16-pixel weight gradient (AVX-512), tail of 4, 7 channels", [2, 2, 6, 22, 7, 3, 3, 1, 1, 0, 0, 1, 1, 1] },
        // float32 layers with 16 or 32 output channels on AVX-512 take the ChannelVectorConvolution path.
        { "lenet2 (channel-vector path)", [3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1] },
        { "channel-vector path, 32 channels, even kernel rows, padding", [2, 5, 9, 11, 32, 4, 3, 1, 1, 1, 2, 1, 1, 1] },
        { "channel-vector path, one kernel row of 8", [2, 3, 4, 20, 16, 1, 8, 1, 1, 0, 0, 1, 1, 1] },
        { "channel-vector path, odd kernel rows × channels, odd height, wide padding", [2, 3, 7, 9, 16, 3, 5, 1, 1, 2, 1, 1, 1, 1] },
        { "channel-vector path, output shorter than the kernel", [2, 7, 6, 12, 16, 5, 3, 1, 1, 0, 1, 1, 1, 1] },
        { "channel-vector input gradient by rows, odd channels, row padding, 32 channels", [2, 5, 7, 13, 32, 3, 4, 1, 1, 2, 0, 1, 1, 1] },
        { "channel-vector input gradient by rows, kernel row of 8, 16-pixel rows", [1, 2, 5, 16, 16, 2, 8, 1, 1, 1, 0, 1, 1, 1] },
    };

    private static Conv2dGeometry Geometry(int[] p) => new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]);

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Conv2d_all_passes_match_reference_float64(string name, int[] parameters)
    {
        _ = name;
        CheckAllPasses<double>(Geometry(parameters), 1e-10);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Conv2d_all_passes_match_reference_float32(string name, int[] parameters)
    {
        _ = name;
        CheckAllPasses<float>(Geometry(parameters), 2e-4);
    }

    [Fact]
    public void Conv2d_res64_like_band_tiling_matches_reference()
    {
        // Large enough that im2col is split into several row bands and samples are spread over threads.
        CheckAllPasses<float>(new Conv2dGeometry(3, 64, 12, 12, 8, 3, 3, 1, 1, 1, 1), 2e-4);
    }

    // 3×3 stride-1 layers with ≥ 16 channels on both sides take the Winograd F(4×4, 3×3) path for the
    // forward and input-gradient passes when the call has ≥ 32 tiles (Winograd.PaysForward): odd sizes (partial
    // tiles), channel counts off the vector width, every padding the adjoint supports, batches that leave a partial
    // block, one large image (its block shared by the threads) and small images in two shared blocks.
    public static readonly TheoryData<string, int[]> WinogradGeometries = new()
    {
        { "pad 1, partial tiles", [4, 16, 9, 11, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1] },
        { "pad 0, 17 input channels", [8, 17, 10, 7, 16, 3, 3, 1, 1, 0, 0, 1, 1, 1] },
        { "pad 2 and pad 1 mixed", [4, 24, 6, 13, 33, 3, 3, 1, 1, 2, 1, 1, 1, 1] },
        { "batch 9, res-like", [9, 32, 12, 12, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1] },
        { "7x7 output, one partial tile per side", [8, 16, 9, 9, 16, 3, 3, 1, 1, 0, 0, 1, 1, 1] },
        { "one 38x41 image, shared block", [1, 16, 38, 41, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1] },
        { "batch 70 of 7x7, two shared blocks", [70, 16, 9, 9, 16, 3, 3, 1, 1, 0, 0, 1, 1, 1] },
    };

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(2)]
    public void Conv2d_images_that_fill_little_of_their_winograd_tiles_take_im2col(int size)
    {
        // 3×3 fills 9 of a tile's 16 outputs, 6×6 36 of 64: im2col is as fast or faster there (Winograd.MinTileUse).
        var g = new Conv2dGeometry(2, 16, size, size, 16, 3, 3, 1, 1, 1, 1);
        Assert.False(Winograd.Applies(g));
        CheckAllPasses<float>(g, 1e-4);
    }

    [Theory]
    [MemberData(nameof(WinogradGeometries))]
    public void Conv2d_winograd_matches_reference_float64(string name, int[] parameters)
    {
        _ = name;
        Assert.True((Winograd.Applies(Geometry(parameters)) && Winograd.PaysForward(Geometry(parameters))) || !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated);
        CheckAllPasses<double>(Geometry(parameters), 1e-10);
    }

    [Theory]
    [MemberData(nameof(WinogradGeometries))]
    public void Conv2d_winograd_matches_reference_float32(string name, int[] parameters)
    {
        _ = name;
        // F(4×4, 3×3) rounds more than a plain dot product (transform coefficients up to 8 and 1/24);
        // with unit-scale data its error stays below 1e-5 of the output's scale for these channel counts.
        CheckAllPasses<float>(Geometry(parameters), 1e-4);
    }

    // 4×4 stride-2 layers with ≥ 4 input and ≥ 16 output channels and ≥ 32 tiles take PolyphaseWinograd (F(2×2, 2×2) over
    // the input's four phases) for all three passes: DCGAN's shapes (padding 1, even sizes), odd output sizes (partial tiles),
    // odd input sizes (pixels no output reads), padding 0 and 2, 4-channel groups with and without remaining channels, channel counts off the vector width, a partial last block.
    public static readonly TheoryData<string, int[]> PolyphaseGeometries = new()
    {
        { "DCGAN-like 16 to 8, padding 1", [8, 8, 16, 16, 16, 4, 4, 2, 2, 1, 1, 1, 1, 1] },
        { "odd output 7x5, 5 input channels, 17 output", [3, 5, 15, 11, 17, 4, 4, 2, 2, 1, 1, 1, 1, 1] },
        { "odd input 13x12, padding 0", [9, 4, 13, 12, 16, 4, 4, 2, 2, 0, 0, 1, 1, 1] },
        { "padding 2 by 1, 33 output channels", [5, 6, 9, 10, 33, 4, 4, 2, 2, 2, 1, 1, 1, 1] },
        { "4x4 output, batch 37 (blocks with a remainder)", [37, 12, 8, 8, 20, 4, 4, 2, 2, 1, 1, 1, 1, 1] },
        { "last input row and column read by no output (11x11, padding 0)", [9, 8, 11, 11, 16, 4, 4, 2, 2, 0, 0, 1, 1, 1] },
    };

    [Theory]
    [MemberData(nameof(PolyphaseGeometries))]
    public void Conv2d_4x4_stride2_polyphase_winograd_matches_reference_float64(string name, int[] parameters)
    {
        _ = name;
        Assert.Equal(CpuFeatures.Active >= CpuIsa.Avx512, PolyphaseWinograd.Applies(Geometry(parameters)));
        CheckAllPasses<double>(Geometry(parameters), 1e-10);
    }

    [Theory]
    [MemberData(nameof(PolyphaseGeometries))]
    public void Conv2d_4x4_stride2_polyphase_winograd_matches_reference_float32(string name, int[] parameters)
    {
        _ = name;
        CheckAllPasses<float>(Geometry(parameters), 2e-4);
    }

    [Fact]
    public void ConvTranspose2d_4x4_stride2_polyphase_winograd_matches_the_adjoint_reference()
    {
        // DCGAN's generator layer 32 → 16 channels, 4×4 → 8×8: its adjoint convolution (16 → 32, 8×8 → 4×4) takes the polyphase path.
        var g = Conv2dGeometry.ForTranspose(10, 32, 4, 4, 16, 4, 4, 2, 2, 1, 1, 0, 0, 1, 1, 1);
        Assert.Equal(CpuFeatures.Active >= CpuIsa.Avx512, PolyphaseWinograd.Applies(g));
        var rng = new Random(31);
        double[] x = Fill(rng, g.Batch * g.OutChannels * g.OutHeight * g.OutWidth);
        double[] w = Fill(rng, (int)g.WeightSize);
        double[] b = Fill(rng, g.InChannels);
        // y = conv_transpose(x) + b: each x[n, ci, h, w]·w[ci, co, i, j] lands on y[n, co, 2h − 1 + i, 2w − 1 + j].
        var expected = new double[g.Batch * g.InChannels * g.InHeight * g.InWidth];
        for (int n = 0; n < g.Batch; n++)
            for (int co = 0; co < g.InChannels; co++)
                for (int p = 0; p < g.InHeight * g.InWidth; p++) expected[((n * g.InChannels) + co) * g.InHeight * g.InWidth + p] = b[co];
        for (int n = 0; n < g.Batch; n++)
            for (int ci = 0; ci < g.OutChannels; ci++)
                for (int h = 0; h < g.OutHeight; h++)
                    for (int wi = 0; wi < g.OutWidth; wi++)
                        for (int co = 0; co < g.InChannels; co++)
                            for (int i = 0; i < 4; i++)
                                for (int j = 0; j < 4; j++)
                                {
                                    int oh = (2 * h) - 1 + i, ow = (2 * wi) - 1 + j;
                                    if (oh < 0 || oh >= g.InHeight || ow < 0 || ow >= g.InWidth) continue;
                                    expected[(((n * g.InChannels) + co) * g.InHeight + oh) * g.InWidth + ow] +=
                                        x[(((n * g.OutChannels) + ci) * g.OutHeight + h) * g.OutWidth + wi] * w[(((ci * g.InChannels) + co) * 4 + i) * 4 + j];
                                }
        float[] xf = Cast<float>(x), wf = Cast<float>(w), bf = Cast<float>(b), y = new float[expected.Length];
        fixed (float* px = xf, pw = wf, pb = bf, py = y) Convolution.ConvTranspose2dForward(g, px, pw, pb, py);
        AssertClose(expected, ToDouble(y), 2e-4);
    }

    [Fact]
    public void Conv2d_empty_batch_gives_zero_weight_gradient()
    {
        var g = new Conv2dGeometry(0, 16, 6, 6, 16, 3, 3, 1, 1, 1, 1);
        var dw = Enumerable.Repeat(7f, (int)g.WeightSize).ToArray();
        var db = Enumerable.Repeat(7f, 16).ToArray();
        float[] none = [0f];
        fixed (float* pNone = none, pdw = dw, pdb = db)
            Convolution.Conv2dBackwardWeight(g, pNone, pNone, pdw, pdb);
        Assert.All(dw, v => Assert.Equal(0f, v));
        Assert.All(db, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Conv2d_strided_1x1_split_into_row_bands_writes_every_input_row_once()
    {
        // K·Hout·Wout·4 bytes = 64·101·100·4 ≈ 2.6 MB: several bands; the odd height leaves an input row past the last sample.
        CheckAllPasses<float>(new Conv2dGeometry(1, 64, 201, 200, 2, 1, 1, 2, 2, 0, 0), 2e-4);
    }

    [Fact]
    public void Conv2d_image_larger_than_column_budget_is_split_into_row_bands()
    {
        // K·Hout·Wout·4 bytes = 576·1000·4 ≈ 2.3 MB exceeds the 2 MiB im2col budget.
        CheckAllPasses<float>(new Conv2dGeometry(1, 64, 40, 25, 2, 3, 3, 1, 1, 1, 1), 2e-4);
    }

    [Fact]
    public void ConvTranspose2d_stride2_output_padding_matches_scatter_reference()
    {
        // ConvTranspose2d(3 → 4, k=3, stride 2, pad 1, output_padding 1) on [2, 3, 4, 5] gives [2, 4, 8, 10].
        var g = Conv2dGeometry.ForTranspose(2, 3, 4, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1);
        Assert.Equal((8, 10, 4, 5), (g.InHeight, g.InWidth, g.OutHeight, g.OutWidth));
        var rng = new Random(5);
        double[] x = Fill(rng, 2 * 3 * 4 * 5), w = Fill(rng, 3 * 4 * 9), b = Fill(rng, 4);
        var y = new double[2 * 4 * 8 * 10];
        fixed (double* px = x, pw = w, pb = b, py = y)
            Convolution.ConvTranspose2dForward(g, px, pw, pb, py);
        // Definition: every input pixel scatters x[n, ci, ih, iw]·w[ci, co, i, j] to y[n, co, ih·s − p + i, iw·s − p + j].
        var expected = new double[y.Length];
        for (int n = 0; n < 2; n++)
            for (int co = 0; co < 4; co++)
                for (int k = 0; k < 80; k++) expected[(n * 4 + co) * 80 + k] = b[co];
        for (int n = 0; n < 2; n++)
            for (int ci = 0; ci < 3; ci++)
                for (int ih = 0; ih < 4; ih++)
                    for (int iw = 0; iw < 5; iw++)
                        for (int co = 0; co < 4; co++)
                            for (int i = 0; i < 3; i++)
                                for (int j = 0; j < 3; j++)
                                {
                                    int oh = ih * 2 - 1 + i, ow = iw * 2 - 1 + j;
                                    if (oh < 0 || oh >= 8 || ow < 0 || ow >= 10) continue;
                                    expected[((n * 4 + co) * 8 + oh) * 10 + ow] += x[((n * 3 + ci) * 4 + ih) * 5 + iw] * w[((ci * 4 + co) * 3 + i) * 3 + j];
                                }
        AssertClose(expected, y, 1e-12);
    }

    [Fact]
    public void Conv2d_stride2_padding1_matches_pytorch()
    {
        // Produced by /usr/bin/python3 (Debian torch 1.13):
        //   x = torch.arange(32.).reshape(1,2,4,4)/10; w = torch.arange(36.).reshape(2,2,3,3)/20 - 0.8; b = torch.tensor([0.5,-0.25])
        //   y = F.conv2d(x, w, b, stride=2, padding=1); y.backward(torch.ones_like(y) + torch.arange(8.).reshape(1,2,2,2)/8)
        //   print(y.flatten().tolist(), x.grad.flatten().tolist(), w.grad.flatten().tolist(), b.grad.tolist())
        double[] x = Enumerable.Range(0, 32).Select(i => i / 10.0).ToArray();
        double[] w = Enumerable.Range(0, 36).Select(i => i / 20.0 - 0.8).ToArray();
        double[] b = [0.5, -0.25];
        double[] dy = Enumerable.Range(0, 8).Select(i => 1 + i / 8.0).ToArray();
        var g = new Conv2dGeometry(1, 2, 4, 4, 2, 3, 3, 2, 2, 1, 1);
        double[] y = new double[8], dx = new double[32], dw = new double[36], db = new double[2];
        fixed (double* px = x, pw = w, pb = b, py = y, pdy = dy, pdx = dx, pdw = dw, pdb = db)
        {
            Convolution.Conv2dForward(g, px, pw, pb, py);
            Convolution.Conv2dBackwardInput(g, pdy, pw, pdx);
            Convolution.Conv2dBackwardWeight(g, px, pdy, pdw, pdb);
        }
        AssertClose(PyTorch.Y, y, 1e-5);
        AssertClose(PyTorch.DX, dx, 1e-5);
        AssertClose(PyTorch.DW, dw, 1e-5);
        AssertClose(PyTorch.DB, db, 1e-5);
    }

    private static class PyTorch
    {
        public static readonly double[] Y = [-0.24, -1.44, -3.775, -7.63, 6.57, 10.77, 13.295, 20.78];
        public static readonly double[] DX = [-0.15, -0.35, -0.1875, -0.05, -0.45, -1.0, -0.525, -0.225, -0.225, -0.5, -0.2625, -0.1, 0.225, 0.4375, 0.225, 0.3875, 0.975, 2.0125, 1.05, 1.1875, 2.025, 4.175, 2.175, 2.475, 1.125, 2.3125, 1.2, 1.3625, 1.575, 3.25, 1.6875, 1.85];
        public static readonly double[] DW = [0.6875, 1.325, 1.5875, 1.35, 2.6, 3.075, 2.35, 4.5, 4.975, 2.8875, 5.525, 5.7875, 5.35, 10.2, 10.675, 6.35, 12.1, 12.575, 0.9375, 1.825, 2.1875, 1.85, 3.6, 4.275, 3.25, 6.3, 6.975, 3.9375, 7.625, 7.9875, 7.45, 14.4, 15.075, 8.85, 17.1, 17.775];
        public static readonly double[] DB = [4.75, 6.75];
    }

    private static void CheckAllPasses<T>(Conv2dGeometry g, double tolerance) where T : unmanaged, System.Numerics.INumber<T>
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        var rng = new Random(1234 + g.GetHashCode() % 1000);
        double[] x = Fill(rng, g.Batch * g.InChannels * g.InHeight * g.InWidth);
        double[] w = Fill(rng, (int)g.WeightSize);
        double[] b = Fill(rng, g.OutChannels);
        double[] dy = Fill(rng, g.Batch * g.OutChannels * oh * ow);
        Reference(g, x, w, b, dy, out double[] y, out double[] dx, out double[] dw, out double[] db);

        T[] xt = Cast<T>(x), wt = Cast<T>(w), bt = Cast<T>(b), dyt = Cast<T>(dy);
        // Garbage in the outputs proves the kernels overwrite rather than accumulate.
        T[] yt = Garbage<T>(y.Length), dxt = Garbage<T>(dx.Length), dwt = Garbage<T>(dw.Length), dbt = Garbage<T>(db.Length);
        for (int repeat = 0; repeat < 2; repeat++) // the second call reuses grown scratch buffers
            fixed (T* px = xt, pw = wt, pb = bt, pdy = dyt, py = yt, pdx = dxt, pdw = dwt, pdb = dbt)
            {
                if (typeof(T) == typeof(float))
                {
                    Convolution.Conv2dForward(g, (float*)px, (float*)pw, (float*)pb, (float*)py);
                    Convolution.Conv2dBackwardInput(g, (float*)pdy, (float*)pw, (float*)pdx);
                    Convolution.Conv2dBackwardWeight(g, (float*)px, (float*)pdy, (float*)pdw, (float*)pdb);
                }
                else
                {
                    Convolution.Conv2dForward(g, (double*)px, (double*)pw, (double*)pb, (double*)py);
                    Convolution.Conv2dBackwardInput(g, (double*)pdy, (double*)pw, (double*)pdx);
                    Convolution.Conv2dBackwardWeight(g, (double*)px, (double*)pdy, (double*)pdw, (double*)pdb);
                }
            }
        AssertClose(y, ToDouble(yt), tolerance);
        AssertClose(dx, ToDouble(dxt), tolerance);
        AssertClose(dw, ToDouble(dwt), tolerance);
        AssertClose(db, ToDouble(dbt), tolerance);

        // Without bias the forward pass is the plain convolution.
        T[] yNoBias = Garbage<T>(y.Length);
        fixed (T* px = xt, pw = wt, py = yNoBias)
        {
            if (typeof(T) == typeof(float)) Convolution.Conv2dForward(g, (float*)px, (float*)pw, null, (float*)py);
            else Convolution.Conv2dForward(g, (double*)px, (double*)pw, null, (double*)py);
        }
        var yMinusBias = new double[y.Length];
        for (int i = 0; i < y.Length; i++) yMinusBias[i] = y[i] - b[i / (oh * ow) % g.OutChannels];
        AssertClose(yMinusBias, ToDouble(yNoBias), tolerance);
    }

    /// <summary>The definition, one multiply-add per (n, co, oh, ow, ci, i, j), and its two adjoints.</summary>
    private static void Reference(Conv2dGeometry g, double[] x, double[] w, double[] b, double[] dy,
        out double[] y, out double[] dx, out double[] dw, out double[] db)
    {
        int oh = g.OutHeight, ow = g.OutWidth, cinG = g.InChannelsPerGroup, coutG = g.OutChannelsPerGroup;
        y = new double[g.Batch * g.OutChannels * oh * ow];
        dx = new double[x.Length];
        dw = new double[w.Length];
        db = new double[g.OutChannels];
        for (int n = 0; n < g.Batch; n++)
            for (int co = 0; co < g.OutChannels; co++)
                for (int r = 0; r < oh; r++)
                    for (int c = 0; c < ow; c++)
                    {
                        int yi = ((n * g.OutChannels + co) * oh + r) * ow + c;
                        double sum = b[co];
                        db[co] += dy[yi];
                        int group = co / coutG;
                        for (int ci = 0; ci < cinG; ci++)
                            for (int i = 0; i < g.KernelHeight; i++)
                                for (int j = 0; j < g.KernelWidth; j++)
                                {
                                    int ih = r * g.StrideH - g.PadH + i * g.DilationH, iw = c * g.StrideW - g.PadW + j * g.DilationW;
                                    if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                                    int xi = ((n * g.InChannels + group * cinG + ci) * g.InHeight + ih) * g.InWidth + iw;
                                    int wi = ((co * cinG + ci) * g.KernelHeight + i) * g.KernelWidth + j;
                                    sum += x[xi] * w[wi];
                                    dx[xi] += dy[yi] * w[wi];
                                    dw[wi] += dy[yi] * x[xi];
                                }
                        y[yi] = sum;
                    }
    }

    internal static double[] Fill(Random rng, int count)
    {
        var data = new double[count];
        for (int i = 0; i < count; i++) data[i] = rng.NextDouble() * 2 - 1;
        return data;
    }

    internal static T[] Cast<T>(double[] data) where T : System.Numerics.INumber<T> => data.Select(T.CreateChecked).ToArray();

    internal static double[] ToDouble<T>(T[] data) where T : System.Numerics.INumber<T> => data.Select(double.CreateChecked).ToArray();

    private static T[] Garbage<T>(int count) where T : System.Numerics.INumber<T> => Enumerable.Repeat(T.CreateChecked(12345), count).ToArray();

    /// <summary>|actual − expected| ≤ tolerance·(1 + |expected|) elementwise.</summary>
    internal static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i]))))
                Assert.Fail($"element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
    }
}
