using Nabla.NN;
using Nabla.Tests.Fixtures;

namespace Nabla.Tests.Backends;

/// <summary>
/// The scalar reference backend (<see cref="Device.Reference"/>) as an oracle: it matches PyTorch on
/// the fixture families whose ops it implements, and the CPU backend's vectorised, chunked,
/// multi-threaded kernels agree with it on inputs large enough to take every CPU path.
/// Ops it does not implement fail with an error that names them.
/// </summary>
public class ReferenceBackendTests
{
    static readonly Device Reference = Device.Reference;

    /// <summary>Fixture cases minus those whose op the reference backend does not implement (named in the report, checked below to fail loudly).</summary>
    static TheoryData<string> Covered(string family, params string[] uncoveredOps)
    {
        var data = new TheoryData<string>();
        foreach (var c in FixtureLoader.All(family))
            if (!uncoveredOps.Contains(c.Op)) data.Add(c.Name);
        return data;
    }

    public static TheoryData<string> ElementwiseCases => Covered(ElementwiseFixtureTests.Family);
    public static TheoryData<string> PromotionCases => Covered(PromotionFixtureTests.Family);
    public static TheoryData<string> ReductionCases => Covered(ReductionFixtureTests.Family);
    public static TheoryData<string> ShapeCases => Covered(ShapeFixtureTests.Family);

    [Theory, MemberData(nameof(ElementwiseCases))]
    public void Elementwise_fixture_matches_pytorch_on_the_reference_backend(string name) => ElementwiseFixtureTests.Run(name, Reference);

    [Theory, MemberData(nameof(PromotionCases))]
    public void Promotion_fixture_matches_pytorch_on_the_reference_backend(string name) => PromotionFixtureTests.Run(name, Reference);

    [Theory, MemberData(nameof(ReductionCases))]
    public void Reduction_fixture_matches_pytorch_on_the_reference_backend(string name) => ReductionFixtureTests.Run(name, Reference);

    [Theory, MemberData(nameof(ShapeCases))]
    public void Shape_fixture_matches_pytorch_on_the_reference_backend(string name) => ShapeFixtureTests.Run(name, Reference);

    // ------------------------------------------------------------------ CPU and reference agree

    /// <summary>More elements than the CPU backend's parallel threshold (65536), with a tail that is not a multiple of any vector width.</summary>
    const int Large = 70_001;

    internal static Tensor Random(DType dtype, int seed, params int[] shape) => Tensor.Randn(shape, dtype, new Generator(seed));

    /// <summary>Asserts both results have the same device-independent dtype and shape and values within a relative tolerance.</summary>
    internal static void Agree(Tensor cpu, Tensor reference, double tolerance, string what)
    {
        Assert.Equal(Device.Cpu, cpu.Device);
        Assert.Equal(Device.Reference, reference.Device);
        Assert.Equal(cpu.DType, reference.DType);
        Assert.Equal(cpu.Shape.ToArray(), reference.Shape.ToArray());
        double[] a = cpu.ToArray<double>(), b = reference.ToArray<double>();
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) && double.IsNaN(b[i]) || a[i] == b[i]) continue;
            Assert.True(Math.Abs(a[i] - b[i]) <= tolerance * (1 + Math.Abs(b[i])),
                $"{what}: element {i} is {a[i]:R} on cpu but {b[i]:R} on the reference backend (shape {cpu.Shape}, {cpu.DType}).");
        }
    }

    static double Tolerance(DType dtype) => dtype == DType.Float32 ? 2e-5 : 1e-9;

    public static TheoryData<string, DType> UnaryOps()
    {
        var data = new TheoryData<string, DType>();
        foreach (var op in Unary.Keys)
        {
            data.Add(op, DType.Float32);
            data.Add(op, DType.Float64);
        }
        return data;
    }

    static readonly Dictionary<string, Func<Tensor, Tensor>> Unary = new()
    {
        ["exp"] = x => x.Exp(),
        ["log"] = x => (x.Abs() + 0.1).Log(),
        ["log1p"] = x => x.Abs().Log1p(),
        ["sqrt"] = x => x.Abs().Sqrt(),
        ["sigmoid"] = x => x.Sigmoid(),
        ["tanh"] = x => x.Tanh(),
        ["sin"] = x => x.Sin(),
        ["cos"] = x => x.Cos(),
        ["erf"] = x => x.Erf(),
        ["floor"] = x => (x * 4).Floor(),
        ["ceil"] = x => (x * 4).Ceil(),
        ["trunc"] = x => (x * 4).Trunc(),
        ["round"] = x => (x * 4).Round(),
        ["relu"] = x => x.Relu(),
        ["leaky_relu"] = x => x.LeakyRelu(0.2),
        ["elu"] = x => x.Elu(0.5),
        ["mish"] = x => (x * 3).Mish(),
        ["gelu"] = x => x.Gelu(),
        ["softplus"] = x => x.Softplus(2, 1),
        ["pow"] = x => x.Abs().Pow(1.7),
        ["clamp"] = x => x.Clamp(-0.5, 0.25),
    };

    [Theory, MemberData(nameof(UnaryOps))]
    public void Unary_op_agrees_with_the_reference_on_a_large_tensor(string op, DType dtype)
    {
        var x = Random(dtype, 1, Large);
        Agree(Unary[op](x), Unary[op](x.To(Reference)), Tolerance(dtype), op);
        // A strided view takes the CPU backend's row-gather path.
        var view = Random(dtype, 2, 40, 30).Transpose(0, 1);
        Agree(Unary[op](view), Unary[op](view.To(Reference)), Tolerance(dtype), op + " (transposed view)");
    }

    public static TheoryData<string> BinaryOps => new(Binary.Keys);

    static readonly Dictionary<string, Func<Tensor, Tensor, Tensor>> Binary = new()
    {
        ["add"] = (a, b) => a + b,
        ["sub"] = (a, b) => a.Sub(b, alpha: 0.5),
        ["mul"] = (a, b) => a * b,
        ["div"] = (a, b) => a / (b.Abs() + 0.5),
        ["div_floor"] = (a, b) => (a * 5).Div(b.Abs() + 0.5, "floor"),
        ["div_trunc"] = (a, b) => (a * 5).Div(b.Abs() + 0.5, "trunc"),
        ["pow"] = (a, b) => (a.Abs() + 0.1).Pow(b),
        ["maximum"] = (a, b) => a.Maximum(b),
        ["minimum"] = (a, b) => a.Minimum(b),
        ["scalar_right"] = (a, _) => a * 2.5 - 1,
        ["scalar_left"] = (_, b) => 3.0 / (b.Abs() + 1),
        ["gt"] = (a, b) => a.Gt(b),
        ["eq_rounded"] = (a, b) => a.Round().Eq(b.Round()),
        ["where"] = (a, b) => Tensor.Where(a.Gt(0), a, b),
        ["integer_add_mul"] = (a, b) => (a * 10).Long() * 3 + (b * 10).Long(),
        ["int32_sub"] = (a, b) => (a * 10).Int() - (b * 10).Int(),
        ["logical_or"] = (a, b) => a.Gt(0).LogicalOr(b.Gt(0)),
    };

    [Theory, MemberData(nameof(BinaryOps))]
    public void Binary_op_agrees_with_the_reference_same_shape_broadcast_and_strided(string op)
    {
        var f = Binary[op];
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            double tolerance = Tolerance(dtype);
            Tensor a = Random(dtype, 3, Large), b = Random(dtype, 4, Large);
            Agree(f(a, b), f(a.To(Reference), b.To(Reference)), tolerance, op + " same shape");
            Tensor rows = Random(dtype, 5, 300, 1, 50), columns = Random(dtype, 6, 1, 40, 50);
            Agree(f(rows, columns), f(rows.To(Reference), columns.To(Reference)), tolerance, op + " broadcast");
            Tensor t = Random(dtype, 7, 30, 20).T, u = Random(dtype, 8, 20, 30);
            Agree(f(t, u), f(t.To(Reference), u.To(Reference)), tolerance, op + " transposed");
        }
    }

    [Fact]
    public void Reductions_agree_with_the_reference()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            // Float32 sums accumulate in float32 on the CPU and in double on the reference.
            double tolerance = dtype == DType.Float32 ? 1e-4 : 1e-10;
            var x = Random(dtype, 9, 64, 1200);
            var r = x.To(Reference);
            Agree(x.Sum(), r.Sum(), tolerance, "sum all");
            Agree(x.Sum(0), r.Sum(0), tolerance, "sum dim 0 (column blocks)");
            Agree(x.Sum(1, keepDim: true), r.Sum(1, keepDim: true), tolerance, "sum dim 1");
            Agree(x.T.Sum(1), r.T.Sum(1), tolerance, "sum of a transposed view");
            Agree(x.Mean(-1), r.Mean(-1), tolerance, "mean");
            Agree((x[.., ..6] * 0.5 + 1).Prod(1), (r[.., ..6] * 0.5 + 1).Prod(1), tolerance, "prod");
            Agree(x.Max(1).Values, r.Max(1).Values, 0, "max values");
            Agree(x.ArgMax(0), r.ArgMax(0), 0, "argmax");
            Agree(x.Min(), r.Min(), 0, "min all");
            Agree(x.CumSum(1), r.CumSum(1), tolerance * 10, "cumsum");
            Agree(x.Softmax(1), r.Softmax(1), tolerance, "softmax");
            Agree(x.LogSoftmax(0), r.LogSoftmax(0), tolerance, "log_softmax dim 0");
            Agree(x.Var(1), r.Var(1), tolerance, "var");
        }
        var integers = (Random(DType.Float64, 10, 50, 70) * 100).Long();
        Agree(integers.Sum(1), integers.To(Reference).Sum(1), 0, "int64 sum");
        Agree(integers.CumSum(0), integers.To(Reference).CumSum(0), 0, "int64 cumsum");
    }

    [Fact]
    public void Matrix_products_agree_with_the_reference()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            double tolerance = dtype == DType.Float32 ? 1e-4 : 1e-10;
            Tensor a = Random(dtype, 11, 4, 33, 70), b = Random(dtype, 12, 70, 29), c = Random(dtype, 13, 29, 70);
            Agree(a.MatMul(b), a.To(Reference).MatMul(b.To(Reference)), tolerance, "batched matmul, broadcast right");
            Agree(a.MatMul(c.T), a.To(Reference).MatMul(c.To(Reference).T), tolerance, "matmul with a transposed operand");
            var linear = new Linear(70, 9, dtype: dtype);
            var x = a[0];
            var expected = linear.Call(x);
            Agree(expected, ((Linear)linear.To(Reference)).Call(x.To(Reference)), tolerance, "Linear (addmm with bias)");
        }
    }

    [Fact]
    public void Gather_scatter_and_index_select_agree_with_the_reference()
    {
        var x = Random(DType.Float64, 14, 40, 25);
        var index = (Tensor.Rand([40, 10], DType.Float64, new Generator(15)) * 25).Long();
        var r = x.To(Reference);
        var ri = index.To(Reference);
        Agree(x.Gather(1, index), r.Gather(1, ri), 0, "gather");
        var values = Random(DType.Float64, 16, 40, 10);
        Agree(x.ScatterAdd(1, index, values), r.ScatterAdd(1, ri, values.To(Reference)), 1e-12, "scatter_add");
        Agree(x.Scatter(1, index, -1.0), r.Scatter(1, ri, -1.0), 0, "scatter");
        var rows = Tensor.From(new long[] { 3, 0, 39, 3 });
        Agree(x.IndexSelect(0, rows), r.IndexSelect(0, rows.To(Reference)), 0, "index_select");
    }

    [Fact]
    public void Gradients_agree_with_the_reference_including_the_fused_activation_backward()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Random(dtype, 17, 300, 250); // 75 000 elements: the fused backward's parallel chunks
            var w = Random(dtype, 18, 250, 7);
            var weights = Random(dtype, 19, 300, 250);
            (Tensor Grad, Tensor Weight) Gradients(Device device)
            {
                var input = x.Detach().To(device).RequiresGrad_();
                var weight = w.Detach().To(device).RequiresGrad_();
                var h = input.Sigmoid() + input.Tanh() * 0.5 + input.Relu() - input.Mish() * 0.25 + input.LeakyRelu(0.2) * 0.5;
                var logits = (h * weights.To(device)).MatMul(weight);
                var loss = logits.LogSoftmax(1).Mean() + logits.Softmax(0).Pow(2).Sum();
                loss.Backward();
                return (input.Grad!, weight.Grad!);
            }
            var (cpuGrad, cpuWeight) = Gradients(Device.Cpu);
            var (referenceGrad, referenceWeight) = Gradients(Reference);
            double tolerance = dtype == DType.Float32 ? 1e-3 : 1e-9;
            Agree(cpuGrad, referenceGrad, tolerance, "input gradient");
            Agree(cpuWeight, referenceWeight, tolerance, "weight gradient");
        }
    }

    [Fact]
    public void A_small_network_trains_to_the_same_loss_on_both_backends()
    {
        double[] Train(Device device)
        {
            var model = new Sequential(new Linear(6, 16, dtype: DType.Float64), new Mish(), new Linear(16, 1, dtype: DType.Float64));
            // Same initial weights on both devices.
            Init(model);
            model.To(device);
            var x = Random(DType.Float64, 20, 64, 6).To(device);
            var y = (x.Sum(1, keepDim: true).Sin()).Detach();
            var losses = new double[5];
            for (int step = 0; step < losses.Length; step++)
            {
                var loss = ((model.Call(x) - y).Pow(2)).Mean();
                model.ZeroGrad();
                loss.Backward();
                using (Autograd.NoGrad())
                    foreach (var p in model.Parameters()) p.Sub_(p.Grad! * 0.1);
                losses[step] = loss.Item();
            }
            return losses;
        }
        static void Init(Module model)
        {
            int seed = 21;
            using (Autograd.NoGrad())
                foreach (var p in model.Parameters()) p.Copy_(Tensor.Randn(p.Shape.ToArray(), DType.Float64, new Generator(seed++)) * 0.3);
        }
        var cpu = Train(Device.Cpu);
        var reference = Train(Reference);
        for (int i = 0; i < cpu.Length; i++) Assert.Equal(reference[i], cpu[i], 1e-12);
        Assert.True(cpu[^1] < cpu[0], "the loss goes down");
    }

    /// <summary>Runs <paramref name="f"/> on copies of <paramref name="inputs"/> on the device and returns its output and the gradients of every input.</summary>
    static Tensor[] OutputAndGradients(Device device, Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var onDevice = inputs.Select(t => t.Detach().To(device).RequiresGrad_()).ToArray();
        var output = f(onDevice);
        var seed = Tensor.Randn(output.Shape.ToArray(), output.DType, new Generator(99)).To(device);
        var grads = Autograd.Grad([output], onDevice, [seed]);
        return [output, .. grads.Select(g => g!)];
    }

    /// <summary>Asserts that <paramref name="f"/>'s output and input gradients agree on the CPU and reference backends.</summary>
    internal static void OutputAndGradientsAgree(string what, DType dtype, Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var cpu = OutputAndGradients(Device.Cpu, f, inputs);
        var reference = OutputAndGradients(Reference, f, inputs);
        double tolerance = dtype == DType.Float32 ? 1e-4 : 1e-10;
        Agree(cpu[0], reference[0], tolerance, $"{what} ({dtype}): output");
        for (int i = 1; i < cpu.Length; i++) Agree(cpu[i], reference[i], tolerance, $"{what} ({dtype}): gradient of input {i - 1}");
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Convolutions_and_their_gradients_agree_with_the_reference(DType dtype)
    {
        Tensor x = Random(dtype, 30, 2, 4, 9, 8), w3 = Random(dtype, 31, 6, 4, 3, 3), b6 = Random(dtype, 32, 6);
        // 3×3 stride 1 (the CPU's Winograd path), strided/padded/dilated, grouped, depthwise, transposed, 1-D.
        OutputAndGradientsAgree("conv2d 3x3", dtype, t => Tensor.Conv2d(t[0], t[1], t[2], padding: 1), x, w3, b6);
        OutputAndGradientsAgree("conv2d strided, dilated", dtype, t => Tensor.Conv2d(t[0], t[1], t[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2)), x, w3, b6);
        OutputAndGradientsAgree("conv2d groups 2", dtype, t => Tensor.Conv2d(t[0], t[1], null, stride: 2, groups: 2), x, Random(dtype, 33, 6, 2, 2, 3));
        OutputAndGradientsAgree("conv2d depthwise", dtype, t => Tensor.Conv2d(t[0], t[1], t[2], padding: 1, groups: 4), x, Random(dtype, 34, 4, 1, 3, 3), Random(dtype, 35, 4));
        OutputAndGradientsAgree("conv_transpose2d", dtype, t => Tensor.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1, groups: 2),
            x, Random(dtype, 36, 4, 3, 3, 3), b6);
        OutputAndGradientsAgree("conv1d", dtype, t => Tensor.Conv1d(t[0], t[1], t[2], stride: 2, padding: 1), Random(dtype, 37, 3, 4, 11), Random(dtype, 38, 5, 4, 3), Random(dtype, 39, 5));
        // The weight gradient's own backward (double backward) runs the three passes again.
        OutputAndGradientsAgree("conv2d double backward", dtype, t =>
        {
            var y = Tensor.Conv2d(t[0], t[1], padding: 1);
            var gw = Autograd.Grad([y.Pow(2).Sum()], [t[1]], createGraph: true)[0]!;
            return gw;
        }, x, w3);
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Pooling_and_its_gradients_agree_with_the_reference(DType dtype)
    {
        var x = Random(dtype, 40, 2, 3, 11, 10);
        OutputAndGradientsAgree("max_pool2d", dtype, t => t[0].MaxPool2d(3, stride: 2, padding: 1), x);
        OutputAndGradientsAgree("max_pool2d dilated, ceil mode", dtype, t => t[0].MaxPool2d((2, 3), stride: (2, 2), dilation: (2, 1), ceilMode: true), x);
        OutputAndGradientsAgree("max_pool1d", dtype, t => t[0].MaxPool1d(3, stride: 2, padding: 1), Random(dtype, 41, 2, 3, 13));
        OutputAndGradientsAgree("avg_pool2d", dtype, t => t[0].AvgPool2d(3, stride: 2, padding: 1), x);
        OutputAndGradientsAgree("avg_pool2d without padding in the count, ceil mode", dtype,
            t => t[0].AvgPool2d((3, 2), stride: (2, 3), padding: (1, 1), ceilMode: true, countIncludePad: false), x);
        OutputAndGradientsAgree("avg_pool2d divisor override", dtype, t => t[0].AvgPool2d(2, divisorOverride: 3), x);
        OutputAndGradientsAgree("avg_pool1d", dtype, t => t[0].AvgPool1d(4, stride: 3, padding: 2), Random(dtype, 42, 2, 3, 13));
        OutputAndGradientsAgree("adaptive_avg_pool2d", dtype, t => t[0].AdaptiveAvgPool2d((4, 3)), x);
        OutputAndGradientsAgree("adaptive_max_pool2d", dtype, t => t[0].AdaptiveMaxPool2d((4, 3)), x);
        // The backward passes differentiated again (gather by the saved indices; the average map's adjoint of its adjoint).
        OutputAndGradientsAgree("pooling double backward", dtype, t =>
        {
            var y = t[0].MaxPool2d(2).Pow(2).Sum() + t[0].AvgPool2d(3, stride: 2).Pow(2).Sum() + t[0].AdaptiveAvgPool2d((3, 3)).Pow(2).Sum();
            return Autograd.Grad([y], [t[0]], createGraph: true)[0]!;
        }, x);
        var (cpuValues, cpuIndices) = x.MaxPool2dWithIndices(3, stride: 2);
        var (values, indices) = x.To(Reference).MaxPool2dWithIndices(3, stride: 2);
        Agree(cpuValues, values, 0, "max_pool2d values");
        Agree(cpuIndices, indices, 0, "max_pool2d indices");
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Batch_norm_and_its_gradients_agree_with_the_reference(DType dtype)
    {
        Tensor x = Random(dtype, 50, 4, 3, 5, 6) * 2 + 1, gamma = Random(dtype, 51, 3), beta = Random(dtype, 52, 3);
        OutputAndGradientsAgree("batch_norm training", dtype, t => Functional.BatchNorm(t[0], null, null, t[1], t[2], training: true), x, gamma, beta);
        OutputAndGradientsAgree("batch_norm without affine", dtype, t => Functional.BatchNorm(t[0], null, null, training: true), x);
        OutputAndGradientsAgree("batch_norm double backward", dtype, t =>
        {
            var y = Functional.BatchNorm(t[0], null, null, t[1], training: true);
            return Autograd.Grad([(y * y.Detach()).Sum()], [t[0]], createGraph: true)[0]!;
        }, x, gamma);
        // The layer's running statistics stay on its device and agree.
        var cpu = new BatchNorm2d(3, dtype: dtype);
        var reference = (BatchNorm2d)new BatchNorm2d(3, dtype: dtype).To(Reference);
        Agree(cpu.Call(x), reference.Call(x.To(Reference)), Tolerance(dtype) * 10, "BatchNorm2d output");
        Agree(cpu.RunningMean!, reference.RunningMean!, Tolerance(dtype), "running mean");
        Agree(cpu.RunningVar!, reference.RunningVar!, Tolerance(dtype), "running variance");
        cpu.Eval();
        reference.Eval();
        using (Autograd.NoGrad()) // the one-pass eval-mode kernel
            Agree(cpu.Call(x), reference.Call(x.To(Reference)), Tolerance(dtype) * 10, "BatchNorm2d eval output");
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Cross_entropy_and_one_hot_agree_with_the_reference(DType dtype)
    {
        // 700 rows of 100 classes: more than the CPU's parallel threshold, so its rows are shared by the worker pool.
        var logits = Random(dtype, 60, 700, 100) * 3;
        var target = (Tensor.Rand([700], DType.Float64, new Generator(61)) * 100).Long();
        target[5] = Tensor.From(-100L); // an ignored row
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
            OutputAndGradientsAgree($"cross_entropy {reduction}", dtype,
                t => Functional.CrossEntropy(t[0], target.To(t[0].Device), reduction: reduction), logits);
        OutputAndGradientsAgree("cross_entropy ignore_index 3", dtype, t => Functional.CrossEntropy(t[0], target.Clamp(0, 99).To(t[0].Device), ignoreIndex: 3), logits);
        var bad = Tensor.From(new long[] { 0, 7 }).To(Reference);
        Assert.Contains("target 7 is out of bounds for 5 classes",
            Assert.Throws<ShapeException>(() => Functional.CrossEntropy(Random(dtype, 62, 2, 5).To(Reference), bad)).Message);
        var classes = Tensor.From(new long[,] { { 3, 0 }, { 1, 3 } });
        Agree(classes.OneHot(5), classes.To(Reference).OneHot(5), 0, "one_hot");
        Agree(classes.T.OneHot(), classes.T.To(Reference).OneHot(), 0, "one_hot of a transposed view");
    }

    // ------------------------------------------------------------------ devices

    [Fact]
    public void Code_that_reads_cpu_buffers_directly_fails_on_another_device_naming_the_op()
    {
        var x = Random(DType.Float64, 22, 3, 3).To(Reference);
        var error = Assert.Throws<DeviceException>(() => x.Data<double>("SomeKernel"));
        Assert.Contains("SomeKernel", error.Message);
        Assert.Contains("not implemented on device reference", error.Message);
    }

    [Fact]
    public void Tensors_on_different_devices_do_not_mix_but_a_zero_dim_tensor_joins_any()
    {
        var cpu = Tensor.From(new[] { 1.0, 2.0, 3.0 });
        var reference = cpu.To(Reference);
        var error = Assert.Throws<DeviceException>(() => cpu + reference);
        Assert.Contains("Add: expected all tensors to be on the same device, got cpu and reference", error.Message);
        var sum = reference + Tensor.From(10.0); // a 0-dim CPU tensor, like a Python number
        Assert.Equal(Reference, sum.Device);
        Assert.Equal(new[] { 11.0, 12.0, 13.0 }, sum.ToArray<double>());
        Assert.Equal(Reference, (reference * 2).Device);
    }

    [Fact]
    public void To_device_copies_and_the_gradient_flows_back_to_the_source_device()
    {
        var x = Tensor.From(new[] { 0.5, -1.0, 2.0 }).RequiresGrad_();
        Assert.Same(x, x.To(Device.Cpu));
        var onReference = x.To(Reference);
        Assert.Equal(Reference, onReference.Device);
        Assert.False(onReference.SharesStorageWith(x));
        onReference.Exp().Sum().Backward();
        Assert.Equal(Device.Cpu, x.Grad!.Device);
        var expected = new[] { Math.Exp(0.5), Math.Exp(-1.0), Math.Exp(2.0) };
        var actual = x.Grad.ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 1e-15);
    }

    [Fact]
    public void Device_names_parse_and_print_like_pytorch()
    {
        Assert.Equal(Device.Reference, Device.Parse("reference"));
        Assert.Equal(Device.Cpu, Device.Parse(" CPU "));
        Assert.Equal(new Device(DeviceType.Cuda, 1), Device.Parse("cuda:1"));
        Assert.Equal("reference", Device.Reference.ToString());
        Assert.Contains("unknown device \"tpu\"", Assert.Throws<ArgumentException>(() => Device.Parse("tpu")).Message);
    }
}
