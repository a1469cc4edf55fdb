using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The direct inference kernel of a stride-2 convolution over a few input channels with a large kernel: ResNet's 7×7
/// stem on RGB images (3 → 64 channels), which im2col ran at a fraction of the GEMM's speed (its column matrix, 147 rows ×
/// 12,544 pixels per image, is gathered element by element with stride 2 and is larger than the L2). Here each padded
/// input row is split once into its even and odd columns, so the 16 inputs that 16 neighbouring outputs read for one
/// tap are one contiguous load; a block of 4 output channels × 64 neighbouring output pixels (16 accumulators) sums
/// the Cin·kh·kw taps with one broadcast weight per channel, and the bias, residual and ReLU are applied in registers
/// before the block is stored straight into NCHW rows (no column matrix, no second pass). Float32, AVX-512.
/// </summary>
internal static unsafe class StemConvolution
{
    private const int Lanes = 16;       // float32 per Vector512
    private const int Pixels = 4 * Lanes; // output pixels per block
    private const int Channels = 4;     // output channels per block

    /// <summary>
    /// Whether the inference path takes this kernel where it applies (on unless <c>NABLA_CONV_STEM=0</c>, which keeps the im2col
    /// path; settable so that bench <c>onnx-resnet18 --profile</c> can time both in one process).
    /// </summary>
    internal static bool Enabled = Environment.GetEnvironmentVariable("NABLA_CONV_STEM") != "0";

    /// <summary>
    /// Whether <see cref="Forward"/> handles <paramref name="g"/>: the AVX-512 path (<see cref="CpuFeatures.Active"/>), stride 2 both ways, dilation 1, one group, at most
    /// 4 input channels and 256 taps, output channels a multiple of 4, and output rows of at least 64 pixels.
    /// </summary>
    public static bool Applies(in Conv2dGeometry g) =>
        Enabled && CpuFeatures.Active == CpuIsa.Avx512 && Vector512.IsHardwareAccelerated && g.Batch > 0 && g.StrideH == 2 && g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1 &&
        g.Groups == 1 && g.InChannels <= 4 && g.InChannels * g.KernelHeight * g.KernelWidth <= 256 && g.OutChannels % Channels == 0 &&
        g.OutWidth >= Pixels && g.OutHeight >= 1;

    /// <summary>output = relu?(conv2d(input, weight) + bias + residual) (residual may be null) for a geometry where <see cref="Applies"/>.</summary>
    public static void Forward(Conv2dGeometry g, float* input, float* weight, float* bias, float* residual, bool relu, float* output)
    {
        var layout = new PhaseLayout(g);
        // Weights regrouped [c][i][j][co], so the block's 4 channels of one tap are adjacent.
        int cout = g.OutChannels, taps = g.InChannels * g.KernelHeight * g.KernelWidth;
        float* packed = ScratchBuffers.Get<float>(ScratchSlot.Filter, (long)taps * cout);
        for (int co = 0; co < cout; co++)
            for (int tap = 0; tap < taps; tap++) packed[(long)tap * cout + co] = weight[(long)co * taps + tap];
        int threads = WorkerPool.ThreadCount;
        if (g.Batch >= 2 * threads)
        {
            // One sample per task: each thread splits its sample's input into its own scratch.
            WorkerPool.For(g.Batch, 1, (start, end) =>
            {
                float* phases = ScratchBuffers.Get<float>(ScratchSlot.ChannelLast, layout.SampleSize);
                for (int n = start; n < end; n++)
                {
                    Split(g, layout, input + (long)n * g.InChannels * g.InHeight * g.InWidth, phases);
                    Rows(g, layout, phases, packed, n, 0, g.OutHeight, bias, residual, relu, output);
                }
            });
            return;
        }
        // Few samples: split them all on this thread, then share the output rows between the threads.
        float* all = ScratchBuffers.Get<float>(ScratchSlot.ChannelLast, layout.SampleSize * g.Batch);
        for (int n = 0; n < g.Batch; n++) Split(g, layout, input + (long)n * g.InChannels * g.InHeight * g.InWidth, all + n * layout.SampleSize);
        int chunks = Math.Max(1, Math.Min(g.OutHeight, 8 * threads / g.Batch));
        int rowsPerChunk = (g.OutHeight + chunks - 1) / chunks;
        chunks = (g.OutHeight + rowsPerChunk - 1) / rowsPerChunk;
        WorkerPool.For(g.Batch * chunks, 1, (start, end) =>
        {
            for (int task = start; task < end; task++)
            {
                int n = task / chunks, row0 = task % chunks * rowsPerChunk;
                Rows(g, layout, all + n * layout.SampleSize, packed, n, row0, Math.Min(g.OutHeight, row0 + rowsPerChunk),
                    bias, residual, relu, output);
            }
        });
    }

    /// <summary>
    /// Sizes of one sample's split input: per input channel and padded row r (input row r − padH), two rows of
    /// <see cref="Width"/> floats, even[j] = padded[r][2j] and odd[j] = padded[r][2j + 1] (zero outside the input).
    /// </summary>
    private readonly struct PhaseLayout(in Conv2dGeometry g)
    {
        /// <summary>Padded rows read: 2·(Hout − 1) + kh.</summary>
        public readonly int Rows = 2 * (g.OutHeight - 1) + g.KernelHeight;

        /// <summary>Floats per phase row: Wout + ⌊(kw − 1)/2⌋ read, rounded up to whole vectors.</summary>
        public readonly int Width = (g.OutWidth + (g.KernelWidth - 1) / 2 + Lanes) / Lanes * Lanes;

        /// <summary>Floats of one sample's split input.</summary>
        public readonly long SampleSize = (long)g.InChannels * (2 * (g.OutHeight - 1) + g.KernelHeight) * 2 * ((g.OutWidth + (g.KernelWidth - 1) / 2 + Lanes) / Lanes * Lanes);
    }

    /// <summary>One sample's input [Cin, H, W] → its even/odd split padded rows (<see cref="PhaseLayout"/>).</summary>
    private static void Split(in Conv2dGeometry g, in PhaseLayout layout, float* x, float* phases)
    {
        int width = layout.Width, inWidth = g.InWidth;
        for (int c = 0; c < g.InChannels; c++)
            for (int r = 0; r < layout.Rows; r++)
            {
                float* even = phases + ((long)(c * layout.Rows + r) * 2) * width, odd = even + width;
                int ih = r - g.PadH;
                if (ih < 0 || ih >= g.InHeight)
                {
                    new Span<float>(even, 2 * width).Clear();
                    continue;
                }
                float* row = x + ((long)c * g.InHeight + ih) * inWidth;
                for (int j = 0; j < width; j++)
                {
                    int iw = 2 * j - g.PadW;
                    even[j] = iw >= 0 && iw < inWidth ? row[iw] : 0f;
                    odd[j] = iw + 1 >= 0 && iw + 1 < inWidth ? row[iw + 1] : 0f;
                }
            }
    }

    /// <summary>Output rows [row0, row1) of sample <paramref name="n"/>, every channel block and pixel block.</summary>
    private static void Rows(in Conv2dGeometry g, in PhaseLayout layout, float* phases, float* packed, int n, int row0, int row1,
        float* bias, float* residual, bool relu, float* output)
    {
        long plane = (long)g.OutHeight * g.OutWidth, sample = (long)n * g.OutChannels * plane;
        for (int oh = row0; oh < row1; oh++)
            for (int co = 0; co < g.OutChannels; co += Channels)
                for (int ow = 0; ow < g.OutWidth; ow += Pixels)
                {
                    // The last block overlaps the one before it rather than running past the row (same values written twice).
                    int start = Math.Min(ow, g.OutWidth - Pixels);
                    long at = sample + co * plane + (long)oh * g.OutWidth + start;
                    Block(g, layout, phases, packed, co, oh, start, bias, residual == null ? null : residual + at, relu, output + at, plane);
                }
    }

    /// <summary>
    /// Output channels [co, co + 4) × pixels [ow, ow + 64) of row <paramref name="oh"/>: 16 accumulators started at the bias,
    /// one FMA per accumulator and tap, then the residual and ReLU, stored at <paramref name="y"/> (channel stride <paramref name="plane"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(in Conv2dGeometry g, in PhaseLayout layout, float* phases, float* packed, int co, int oh, int ow,
        float* bias, float* skip, bool relu, float* y, long plane)
    {
        int cout = g.OutChannels, kh = g.KernelHeight, kw = g.KernelWidth, width = layout.Width;
        Vector512<float> b0 = Vector512.Create(bias == null ? 0f : bias[co]), b1 = Vector512.Create(bias == null ? 0f : bias[co + 1]);
        Vector512<float> b2 = Vector512.Create(bias == null ? 0f : bias[co + 2]), b3 = Vector512.Create(bias == null ? 0f : bias[co + 3]);
        Vector512<float> a00 = b0, a01 = b0, a02 = b0, a03 = b0, a10 = b1, a11 = b1, a12 = b1, a13 = b1;
        Vector512<float> a20 = b2, a21 = b2, a22 = b2, a23 = b2, a30 = b3, a31 = b3, a32 = b3, a33 = b3;
        float* w = packed + co;
        for (int c = 0; c < g.InChannels; c++)
            for (int i = 0; i < kh; i++)
            {
                float* even = phases + ((long)(c * layout.Rows + 2 * oh + i) * 2) * width + ow;
                for (int j = 0; j < kw; j++, w += cout)
                {
                    float* x = (j & 1) == 0 ? even + (j >> 1) : even + width + (j >> 1);
                    var x0 = Vector512.Load(x);
                    var x1 = Vector512.Load(x + Lanes);
                    var x2 = Vector512.Load(x + 2 * Lanes);
                    var x3 = Vector512.Load(x + 3 * Lanes);
                    var w0 = Vector512.Create(w[0]);
                    a00 = Vector512.FusedMultiplyAdd(x0, w0, a00); a01 = Vector512.FusedMultiplyAdd(x1, w0, a01);
                    a02 = Vector512.FusedMultiplyAdd(x2, w0, a02); a03 = Vector512.FusedMultiplyAdd(x3, w0, a03);
                    var w1 = Vector512.Create(w[1]);
                    a10 = Vector512.FusedMultiplyAdd(x0, w1, a10); a11 = Vector512.FusedMultiplyAdd(x1, w1, a11);
                    a12 = Vector512.FusedMultiplyAdd(x2, w1, a12); a13 = Vector512.FusedMultiplyAdd(x3, w1, a13);
                    var w2 = Vector512.Create(w[2]);
                    a20 = Vector512.FusedMultiplyAdd(x0, w2, a20); a21 = Vector512.FusedMultiplyAdd(x1, w2, a21);
                    a22 = Vector512.FusedMultiplyAdd(x2, w2, a22); a23 = Vector512.FusedMultiplyAdd(x3, w2, a23);
                    var w3 = Vector512.Create(w[3]);
                    a30 = Vector512.FusedMultiplyAdd(x0, w3, a30); a31 = Vector512.FusedMultiplyAdd(x1, w3, a31);
                    a32 = Vector512.FusedMultiplyAdd(x2, w3, a32); a33 = Vector512.FusedMultiplyAdd(x3, w3, a33);
                }
            }
        Store(a00, a01, a02, a03, y, skip, relu);
        Store(a10, a11, a12, a13, y + plane, skip == null ? null : skip + plane, relu);
        Store(a20, a21, a22, a23, y + 2 * plane, skip == null ? null : skip + 2 * plane, relu);
        Store(a30, a31, a32, a33, y + 3 * plane, skip == null ? null : skip + 3 * plane, relu);
    }

    /// <summary>64 outputs of one channel: + residual (if any), ReLU (if asked), stored at <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, float* y, float* skip, bool relu)
    {
        if (skip != null)
        {
            v0 += Vector512.Load(skip);
            v1 += Vector512.Load(skip + Lanes);
            v2 += Vector512.Load(skip + 2 * Lanes);
            v3 += Vector512.Load(skip + 3 * Lanes);
        }
        if (relu)
        {
            v0 = Vector512.Max(v0, Vector512<float>.Zero);
            v1 = Vector512.Max(v1, Vector512<float>.Zero);
            v2 = Vector512.Max(v2, Vector512<float>.Zero);
            v3 = Vector512.Max(v3, Vector512<float>.Zero);
        }
        v0.Store(y);
        v1.Store(y + Lanes);
        v2.Store(y + 2 * Lanes);
        v3.Store(y + 3 * Lanes);
    }
}
