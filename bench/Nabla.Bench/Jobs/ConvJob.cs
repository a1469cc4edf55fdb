using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>conv-{lenet1, lenet2, res64, res128, down}</c>: one float32 convolution training step (forward, input
/// gradient, weight gradient, no bias) on the anchors' shapes, batch 64, through the
/// <see cref="Convolution"/> kernels. FLOPs are counted like <c>torch_anchor.py</c>:
/// 3 × 2·N·Cout·Hout·Wout·Cin·kh·kw. About 2 GFLOP of timed steps after 2 warm-ups, in 7 rounds whose
/// median is reported. <c>CONV_SHAPES</c> (e.g. <c>64x512x3-512k3s1p1</c>: batch × channels × size, then out channels,
/// kernel, stride, padding) measures those shapes instead, as <c>conv-SHAPE</c>. <c>CONV_PASSES=1</c> also prints
/// the median milliseconds of each pass alone (forward, input gradient, weight gradient, all) to stderr, to see
/// which pass limits a shape.
/// </summary>
internal sealed unsafe class ConvJob : IBenchJob
{
    // name: input N, C, H (= W), out channels, kernel, stride, padding — the anchors' CONVS table.
    private static readonly (string Name, int Batch, int Channels, int Size, int OutChannels, int Kernel, int Stride, int Pad)[] Shapes =
    [
        ("lenet1", 64, 1, 28, 6, 5, 1, 2),
        ("lenet2", 64, 6, 14, 16, 5, 1, 0),
        ("res64", 64, 64, 24, 64, 3, 1, 1),
        ("res128", 64, 128, 12, 128, 3, 1, 1),
        ("down", 64, 64, 24, 128, 1, 2, 0),
    ];

    /// <inheritdoc/>
    public string Name => "conv";

    /// <inheritdoc/>
    public IEnumerable<Figure> Run()
    {
        double peak = PeakJob.Gflops;
        var shapes = Environment.GetEnvironmentVariable("CONV_SHAPES") is { Length: > 0 } text
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToArray()
            : Shapes;
        foreach (var shape in shapes)
        {
            var g = new Conv2dGeometry(shape.Batch, shape.Channels, shape.Size, shape.Size, shape.OutChannels,
                shape.Kernel, shape.Kernel, shape.Stride, shape.Stride, shape.Pad, shape.Pad);
            double gflops = Measure(g);
            yield return new Figure($"conv-{shape.Name}", ("gflops", gflops), ("fraction_of_peak", gflops / peak));
        }
    }

    /// <summary>Reads <c>NxCxS-OkKsSpP</c>, e.g. <c>64x512x3-512k3s1p1</c>.</summary>
    private static (string Name, int Batch, int Channels, int Size, int OutChannels, int Kernel, int Stride, int Pad) Parse(string text)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^(\d+)x(\d+)x(\d+)-(\d+)k(\d+)s(\d+)p(\d+)$");
        if (!match.Success)
        {
            throw new ArgumentException($"CONV_SHAPES: '{text}' is not NxCxSIZE-OUTkKERNELsSTRIDEpPAD, e.g. 64x512x3-512k3s1p1.");
        }

        int Group(int i) => int.Parse(match.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture);
        return (text, Group(1), Group(2), Group(3), Group(4), Group(5), Group(6), Group(7));
    }

    private static double Measure(Conv2dGeometry g)
    {
        long inputSize = (long)g.Batch * g.InChannels * g.InHeight * g.InWidth;
        long outputSize = (long)g.Batch * g.OutChannels * g.OutHeight * g.OutWidth;
        float* x = Allocate(inputSize), dx = Allocate(inputSize);
        float* w = Allocate(g.WeightSize), dw = Allocate(g.WeightSize);
        float* y = Allocate(outputSize), dy = Allocate(outputSize);
        try
        {
            var random = new Random(0);
            Fill(random, x, inputSize);
            Fill(random, w, g.WeightSize);
            Fill(random, dy, outputSize);
            double flops = 3.0 * 2 * outputSize * g.PatchSize;
            const int rounds = 7;
            int repsPerRound = Math.Max(1, (int)(2e9 / flops / rounds));
            double seconds = Timing.MedianSeconds(
                () =>
                {
                    Convolution.Conv2dForward(g, x, w, null, y);
                    Convolution.Conv2dBackwardInput(g, dy, w, dx);
                    Convolution.Conv2dBackwardWeight(g, x, dy, dw, null);
                },
                warmups: 2, rounds, repsPerRound);
            if (Environment.GetEnvironmentVariable("CONV_PASSES") == "1")
            {
                double Pass(Action pass) => Timing.MedianSeconds(pass, warmups: 2, rounds, repsPerRound) * 1e3;
                Console.Error.WriteLine($"conv {g}: forward {Pass(() => Convolution.Conv2dForward(g, x, w, null, y)):F3} ms, " +
                    $"input gradient {Pass(() => Convolution.Conv2dBackwardInput(g, dy, w, dx)):F3} ms, " +
                    $"weight gradient {Pass(() => Convolution.Conv2dBackwardWeight(g, x, dy, dw, null)):F3} ms, all {seconds * 1e3:F3} ms");
            }

            return flops / seconds / 1e9;
        }
        finally
        {
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(dx);
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(dw);
            NativeMemory.AlignedFree(y);
            NativeMemory.AlignedFree(dy);
        }
    }

    private static float* Allocate(long count) => (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);

    private static void Fill(Random random, float* data, long count)
    {
        for (long i = 0; i < count; i++)
        {
            data[i] = (float)((random.NextDouble() * 2) - 1);
        }
    }
}
