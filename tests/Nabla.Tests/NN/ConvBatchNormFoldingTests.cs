using Nabla.Backends.Cpu;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Vision.Models;

namespace Nabla.Tests.NN;

/// <summary>
/// The fused eval-mode convolution (<see cref="ConvBatchNormFolding"/>, <see cref="Tensor.Conv2dInference"/>): BatchNorm
/// folded into the weights and the residual add and ReLU applied as the output is written give what the layers give one
/// after the other, on the Winograd path (with its cached filter) and the im2col ones; the caches follow in-place writes;
/// hooks and autograd switch the fusion off. (The zoo's ResNet-18/50 eval logits against PyTorch, in ModelZooTests, run
/// through the fused path too.)
/// </summary>
public class ConvBatchNormFoldingTests
{
    /// <summary>A convolution and a BatchNorm with random weights and running statistics, in eval mode.</summary>
    static (Conv2d Conv, BatchNorm2d Norm) Pair(Generator generator, int cin, int cout, int kernel, int stride, int padding, bool convBias)
    {
        var conv = new Conv2d(cin, cout, kernel, stride: stride, padding: padding, bias: convBias);
        var norm = new BatchNorm2d(cout);
        using (Autograd.NoGrad())
        {
            conv.Weight.Copy_(Tensor.Randn([cout, cin, kernel, kernel], generator: generator) * (1.0 / Math.Sqrt(cin * kernel * kernel)));
            conv.Bias?.Copy_(Tensor.Randn([cout], generator: generator));
            norm.Weight!.Copy_(Tensor.Rand([cout], generator: generator) + 0.5);
            norm.Bias!.Copy_(Tensor.Randn([cout], generator: generator));
            norm.RunningMean!.Copy_(Tensor.Randn([cout], generator: generator));
            norm.RunningVar!.Copy_(Tensor.Rand([cout], generator: generator) + 0.5);
        }
        conv.Eval();
        norm.Eval();
        return (conv, norm);
    }

    /// <summary>relu?(norm(conv(x)) + residual) by the unfused layers.</summary>
    static Tensor Unfused(Tensor x, Conv2d conv, BatchNorm2d norm, Tensor? residual, bool relu)
    {
        var y = norm.Call(conv.Call(x));
        if (residual is not null) y += residual;
        return relu ? y.Relu() : y;
    }

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        float scale = e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 2e-5f * scale, $"{what}: element {i} is {a[i]}, the unfused layers give {e[i]}");
    }

    // (batch, cin, size, cout, kernel, stride, padding): 3×3 stride 1 with ≥ 16 channels and ≥ 32 tiles takes Winograd on
    // AVX-512 (partial tiles at 10×10 and 13 px); strided 3×3, the 1×1 shortcut and a small 7×7 stem take im2col.
    [Theory]
    [InlineData(4, 32, 16, 32, 3, 1, 1)]
    [InlineData(3, 16, 10, 20, 3, 1, 1)]
    [InlineData(2, 24, 13, 17, 3, 1, 1)]
    [InlineData(2, 16, 12, 32, 3, 2, 1)]
    [InlineData(2, 16, 12, 32, 1, 2, 0)]
    [InlineData(2, 3, 23, 8, 7, 2, 3)]
    // Stride 2 over ≤ 4 input channels with output rows of ≥ 64 pixels takes StemConvolution on AVX-512 (rows of 65: the
    // last pixel block overlaps the one before); batch 5 splits samples between the threads, batch 1 output rows.
    [InlineData(1, 3, 130, 8, 7, 2, 3)]
    [InlineData(5, 2, 129, 12, 5, 2, 2)]
    public void Fused_conv_batchnorm_residual_relu_equals_the_layers(int batch, int cin, int size, int cout, int kernel, int stride, int padding)
    {
        var generator = new Generator(7);
        var x = Tensor.Randn([batch, cin, size, size], generator: generator);
        foreach (bool convBias in new[] { false, true })
        {
            var (conv, norm) = Pair(generator, cin, cout, kernel, stride, padding, convBias);
            int outSize = (size + 2 * padding - kernel) / stride + 1;
            var residual = Tensor.Randn([batch, cout, outSize, outSize], generator: generator);
            using var noGrad = Autograd.NoGrad();
            Assert.True(ConvBatchNormFolding.Applies(x, conv, norm));
            if (outSize >= 64)
                Assert.True(StemConvolution.Applies(new Conv2dGeometry(batch, cin, size, size, cout, kernel, kernel, stride, stride, padding, padding)) ||
                    CpuFeatures.Active != CpuIsa.Avx512);
            foreach (var (skip, relu) in new (Tensor?, bool)[] { (null, false), (null, true), (residual, false), (residual, true) })
            {
                string what = $"{kernel}x{kernel} stride {stride}, bias {convBias}, residual {skip is not null}, relu {relu}";
                var fused = ConvBatchNormFolding.Forward(x, conv, norm, skip, relu);
                AssertClose(Unfused(x, conv, norm, skip, relu), fused, what);
                // The second call reuses the folded weights and the transformed filter.
                AssertClose(fused, ConvBatchNormFolding.Forward(x, conv, norm, skip, relu), what + ", cached");
            }
        }
    }

    [Fact]
    public void Winograd_filter_cache_follows_in_place_writes_to_the_weights()
    {
        var generator = new Generator(3);
        var x = Tensor.Randn([4, 32, 16, 16], generator: generator);
        var weight = Tensor.Randn([32, 32, 3, 3], generator: generator) * 0.1;
        var bias = Tensor.Randn([32], generator: generator);
        var g = new Conv2dGeometry(4, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1);
        Assert.True(!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated || (Winograd.Applies(g) && Winograd.PaysForward(g)));
        using var noGrad = Autograd.NoGrad();
        var first = Tensor.Conv2dInference(x, weight, bias, null, relu: false, 1, 1, 1, 1);
        AssertClose(Tensor.Conv2d(x, weight, bias, padding: 1), first, "first call");
        weight.Mul_(-2.0);
        var second = Tensor.Conv2dInference(x, weight, bias, null, relu: false, 1, 1, 1, 1);
        AssertClose(Tensor.Conv2d(x, weight, bias, padding: 1), second, "after Mul_ on the weights");
        // A view at another offset of the same storage is another filter.
        var both = Tensor.Randn([2, 32, 32, 3, 3], generator: generator);
        var upper = Tensor.Conv2dInference(x, both[1], bias, null, relu: false, 1, 1, 1, 1);
        AssertClose(Tensor.Conv2d(x, both[1], bias, padding: 1), upper, "second half of a storage");
        var lower = Tensor.Conv2dInference(x, both[0], bias, null, relu: false, 1, 1, 1, 1);
        AssertClose(Tensor.Conv2d(x, both[0], bias, padding: 1), lower, "first half of a storage");
    }

    [Fact]
    public void Folded_weights_follow_optimizer_steps_state_dict_loads_and_replaced_layers()
    {
        var generator = new Generator(11);
        var x = Tensor.Randn([4, 16, 12, 12], generator: generator);
        var (conv, norm) = Pair(generator, 16, 16, 3, 1, 1, convBias: true);
        Tensor Fused()
        {
            using var noGrad = Autograd.NoGrad();
            return ConvBatchNormFolding.Forward(x, conv, norm, null, relu: true);
        }
        Tensor Expected()
        {
            using var noGrad = Autograd.NoGrad();
            return Unfused(x, conv, norm, null, relu: true);
        }
        AssertClose(Expected(), Fused(), "initial");

        // An optimizer step writes the weights in place.
        conv.Weight.Grad = Tensor.OnesLike(conv.Weight);
        conv.Bias!.Grad = Tensor.OnesLike(conv.Bias);
        new SGD([conv.Weight, conv.Bias], lr: 0.05).Step();
        AssertClose(Expected(), Fused(), "after an optimizer step");

        // A state-dict load copies into the running statistics.
        var state = norm.StateDict();
        using (Autograd.NoGrad()) state["running_mean"] = state["running_mean"] + 1.0;
        norm.LoadStateDict(state);
        AssertClose(Expected(), Fused(), "after LoadStateDict");

        // Another BatchNorm behind the same convolution.
        var (_, other) = Pair(generator, 16, 16, 3, 1, 1, convBias: false);
        using (Autograd.NoGrad())
            AssertClose(Unfused(x, conv, other, null, relu: true), ConvBatchNormFolding.Forward(x, conv, other, null, relu: true), "another BatchNorm");
    }

    [Fact]
    public void Fusion_stays_off_in_training_mode_with_hooks_and_with_autograd_to_record()
    {
        var generator = new Generator(5);
        var x = Tensor.Randn([2, 16, 8, 8], generator: generator);
        var (conv, norm) = Pair(generator, 16, 16, 3, 1, 1, convBias: false);
        Assert.False(ConvBatchNormFolding.Applies(x, conv, norm)); // grad mode on and the weights require grad
        using (Autograd.NoGrad()) Assert.True(ConvBatchNormFolding.Applies(x, conv, norm));
        conv.RequiresGrad(false);
        norm.RequiresGrad(false);
        Assert.True(ConvBatchNormFolding.Applies(x, conv, norm));
        Assert.False(ConvBatchNormFolding.Applies(x.Clone().RequiresGrad_(), conv, norm)); // gradients to the input (style transfer)
        norm.Train();
        Assert.False(ConvBatchNormFolding.Applies(x, conv, norm));
        norm.Eval();
        using (conv.RegisterForwardHook((_, _, _) => { }))
            Assert.False(ConvBatchNormFolding.Applies(x, conv, norm));
        Assert.True(ConvBatchNormFolding.Applies(x, conv, norm));
        // A trace records the layers themselves (their named parameters), not the folded convolution.
        var traced = Nabla.Jit.Jit.Trace(new Sequential(conv, norm), x);
        Assert.Contains(traced.Nodes, n => n.Op == Nabla.Jit.GraphOps.BatchNorm);
        var noStats = new BatchNorm2d(16, trackRunningStats: false);
        noStats.Eval();
        Assert.False(ConvBatchNormFolding.Applies(x, conv, noStats));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResNet_eval_forward_fused_equals_the_hooked_unfused_forward(bool bottleneck)
    {
        Generator.ManualSeed(21);
        var model = bottleneck ? ResNet.ResNet50(inChannels: 3, numClasses: 10, width: 1.0 / 16) : ResNet.ResNet18(inChannels: 3, numClasses: 10, width: 0.5);
        var generator = new Generator(21);
        using (Autograd.NoGrad())
            foreach (var module in model.Modules().OfType<BatchNorm2d>())
            {
                module.RunningMean!.Copy_(Tensor.Randn([module.NumFeatures], generator: generator) * 0.1);
                module.RunningVar!.Copy_(Tensor.Rand([module.NumFeatures], generator: generator) + 0.5);
                module.Weight!.Copy_(Tensor.Rand([module.NumFeatures], generator: generator) + 0.5);
                module.Bias!.Copy_(Tensor.Randn([module.NumFeatures], generator: generator) * 0.1);
            }
        model.Eval();
        var x = Tensor.Randn([3, 3, 64, 64], generator: generator);
        Tensor fused, unfused;
        using (Autograd.NoGrad()) fused = model.Call(x);
        // An observing hook on every layer switches the fusion off everywhere.
        var handles = model.Modules().Where(m => !ReferenceEquals(m, model)).Select(m => m.RegisterForwardHook((_, _, _) => { })).ToList();
        using (Autograd.NoGrad()) unfused = model.Call(x);
        handles.ForEach(h => h.Dispose());
        AssertClose(unfused, fused, bottleneck ? "ResNet-50" : "ResNet-18");
    }
}
