namespace Nabla.Tests.NN;

/// <summary>
/// The fused recurrent layer (<c>Tensor.RecurrentSequence</c>: forward and back-propagation through time in
/// one kernel each) against its step-by-step composition of differentiable ops, in Float64: every output
/// row and every gradient, for each cell, direction and bias setting; plus finite differences.
/// </summary>
public class RecurrentSequenceTests
{
    public static TheoryData<string, bool, bool> Cases()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var mode in Enum.GetNames<RecurrentMode>())
            foreach (bool reverse in new[] { false, true })
                foreach (bool bias in new[] { false, true })
                    data.Add(mode, reverse, bias);
        return data;
    }

    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(seed), requiresGrad: true);

    /// <summary>input, h0, c0 (LSTM), weight_ih, weight_hh, bias_ih, bias_hh (when bias) for T = 5, N = 7, I = 3, H = 5.</summary>
    static Tensor[] Inputs(RecurrentMode mode, bool bias, int steps = 5, int batch = 7, int inputSize = 3, int hidden = 5)
    {
        int gates = (mode switch { RecurrentMode.GRU => 3, RecurrentMode.LSTM => 4, _ => 1 }) * hidden;
        var list = new List<Tensor> { Randn(1, steps, batch, inputSize), Randn(2, batch, hidden) };
        if (mode == RecurrentMode.LSTM) list.Add(Randn(3, batch, hidden));
        list.Add(Randn(4, gates, inputSize) * 0.5);
        list.Add(Randn(5, gates, hidden) * 0.5);
        if (bias) list.AddRange([Randn(6, gates), Randn(7, gates)]);
        return [.. list.Select(t => t.Detach().RequiresGrad_())];
    }

    static Tensor Run(bool fused, RecurrentMode mode, bool bias, bool reverse, Tensor[] t)
    {
        int k = 2;
        var c0 = mode == RecurrentMode.LSTM ? t[k++] : null;
        var (weightIh, weightHh) = (t[k++], t[k++]);
        var (biasIh, biasHh) = bias ? (t[k], t[k + 1]) : (null, null);
        return fused
            ? Tensor.RecurrentSequence(mode, t[0], t[1], c0, weightIh, weightHh, biasIh, biasHh, reverse)
            : Tensor.RecurrentSequenceSteps(mode, t[0], t[1], c0, weightIh, weightHh, biasIh, biasHh, reverse);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_layer_equals_its_step_by_step_composition(string modeName, bool reverse, bool bias)
    {
        var mode = Enum.Parse<RecurrentMode>(modeName);
        var inputs = Inputs(mode, bias);
        var fused = Run(true, mode, bias, reverse, inputs);
        var steps = Run(false, mode, bias, reverse, inputs);
        Assert.Equal(steps.Shape, fused.Shape);
        Fixture.AssertClose(steps, fused, $"{mode} states", 1e-12, 1e-12);
        // A gradient on every row of the packed result: the outputs, h_T, h0's row and (LSTM) c_T.
        var gradOutput = Tensor.Randn([.. fused.Shape], DType.Float64, new Generator(9));
        var expected = Autograd.Grad([steps], inputs, [gradOutput]);
        var actual = Autograd.Grad([fused], inputs, [gradOutput]);
        Assert.Equal("RecurrentSequenceBackward", fused.GradFn!.Name);
        for (int i = 0; i < inputs.Length; i++)
            Fixture.AssertClose(expected[i]!, actual[i], $"{mode} gradient of input {i}", 1e-12, 1e-12);
    }

    [Theory]
    [InlineData("RNNTanh", false)]
    [InlineData("RNNRelu", false)]
    [InlineData("GRU", false)]
    [InlineData("LSTM", false)]
    [InlineData("RNNTanh", true)]
    [InlineData("GRU", true)]
    [InlineData("LSTM", true)]
    public void One_hot_input_equals_the_composition(string modeName, bool large)
    {
        // A one-hot input (the character models') runs the input products over its non-zeros only, each step
        // projecting its own rows and gathering d W_ih and the bias sums. Large: big enough for the time loop
        // to split the batch between threads (each with its own sums), with an all-zero row and a row of two
        // non-zeros among the one-hot rows.
        var mode = Enum.Parse<RecurrentMode>(modeName);
        var (steps, batch, hidden) = large ? (8, 24, 48) : (6, 5, 4);
        var inputs = Inputs(mode, bias: true, steps: steps, batch: batch, inputSize: 11, hidden: hidden);
        var tokens = Tensor.RandInt(0, 11, [steps, batch], generator: new Generator(3));
        var x = tokens.OneHot(11).To(DType.Float64) * 1.5; // a scaled one-hot: the value matters too
        if (large)
        {
            x.Select(0, 1).Select(0, 0).Fill_(0);
            x.Select(0, 2).Select(0, 13).Narrow(0, 4, 1).Fill_(-0.5);
        }
        inputs[0] = x.RequiresGrad_();
        var fused = Run(true, mode, true, false, inputs);
        var composed = Run(false, mode, true, false, inputs);
        Fixture.AssertClose(composed, fused, $"{mode} states", 1e-12, 1e-12);
        var gradOutput = Tensor.Randn([.. fused.Shape], DType.Float64, new Generator(4));
        var expected = Autograd.Grad([composed], inputs, [gradOutput]);
        var actual = Autograd.Grad([fused], inputs, [gradOutput]);
        for (int i = 0; i < inputs.Length; i++)
            Fixture.AssertClose(expected[i]!, actual[i], $"{mode} gradient of input {i}", 1e-12, 1e-12);
    }

    [Theory]
    [InlineData("RNNTanh")]
    [InlineData("RNNRelu")]
    [InlineData("GRU")]
    [InlineData("LSTM")]
    public void Fused_layer_gradients_match_finite_differences(string modeName)
    {
        var mode = Enum.Parse<RecurrentMode>(modeName);
        var inputs = Inputs(mode, bias: true, steps: 3, batch: 2, inputSize: 2, hidden: 3);
        Assert.True(Autograd.GradCheck(t => Run(true, mode, true, reverse: mode == RecurrentMode.GRU, t), inputs));
    }

    [Fact]
    public void Fused_layer_double_backward_matches_finite_differences()
    {
        // createGraph takes the gradient through the composition, so the gradient itself is differentiable.
        var inputs = Inputs(RecurrentMode.RNNTanh, bias: true, steps: 3, batch: 2, inputSize: 2, hidden: 3);
        Assert.True(Autograd.GradCheck(t =>
        {
            using var enabled = Autograd.EnableGrad();
            var x = t[0].RequiresGrad ? t[0] : t[0].Detach().RequiresGrad_();
            var packed = Run(true, RecurrentMode.RNNTanh, true, false, [x, .. t[1..]]);
            var grad = Autograd.Grad([packed.Square().Sum()], [x], createGraph: true)[0]!;
            return grad.Square().Sum();
        }, inputs));
    }

    [Theory]
    [InlineData("GRU", 0.1)]
    [InlineData("LSTM", 0.1)]
    [InlineData("GRU", 3.0)]  // saturated gates
    [InlineData("LSTM", 3.0)]
    public void Float32_cells_match_float64_with_vector_and_scalar_units(string modeName, double scale)
    {
        // H = 37: two vectors of 16 units and a scalar tail in each row; float32 runs the fast exponential.
        var mode = Enum.Parse<RecurrentMode>(modeName);
        var inputs = Inputs(mode, bias: true, steps: 4, batch: 9, inputSize: 6, hidden: 37);
        inputs = [inputs[0] * scale, .. inputs[1..]];
        var reference = Run(true, mode, true, false, inputs);
        var single = Run(true, mode, true, false, [.. inputs.Select(t => t.Detach().To(DType.Float32))]);
        Fixture.AssertClose(reference.Detach(), single.To(DType.Float64), $"{mode} float32 states", 1e-5, 1e-5); // the PyTorch fixtures' tolerance
    }

    [Theory]
    [InlineData("GRU")]
    [InlineData("LSTM")]
    public void Float32_gradients_match_float64_with_vector_and_scalar_units(string modeName)
    {
        // H = 37 again: the float32 backward cells' vectors and scalar tail, and the float32 weight-gradient products.
        var mode = Enum.Parse<RecurrentMode>(modeName);
        var inputs = Inputs(mode, bias: true, steps: 4, batch: 9, inputSize: 6, hidden: 37);
        var singles = inputs.Select(t => t.Detach().To(DType.Float32).RequiresGrad_()).ToArray();
        var reference = Run(true, mode, true, false, inputs);
        var single = Run(true, mode, true, false, singles);
        var gradOutput = Tensor.Randn([.. reference.Shape], DType.Float64, new Generator(5));
        var expected = Autograd.Grad([reference], inputs, [gradOutput]);
        var actual = Autograd.Grad([single], singles, [gradOutput.To(DType.Float32)]);
        for (int i = 0; i < inputs.Length; i++)
            Fixture.AssertClose(expected[i]!, actual[i]!.To(DType.Float64), $"{mode} float32 gradient of input {i}", 1e-4, 1e-4);
    }

    [Theory]
    [InlineData("GRU")]
    [InlineData("LSTM")]
    public void Float32_NaN_input_gives_NaN_states_not_a_saturated_number(string modeName)
    {
        var mode = Enum.Parse<RecurrentMode>(modeName);
        var inputs = Inputs(mode, bias: false, steps: 2, batch: 2, inputSize: 3, hidden: 16).Select(t => t.Detach().To(DType.Float32)).ToArray();
        inputs[0] = Tensor.Full([2, 2, 3], double.NaN);
        var states = Run(true, mode, false, false, inputs);
        Assert.True(states.Select(0, 2).IsNaN().All().Item<bool>(), $"{mode}: the last output is not NaN");
    }

    [Fact]
    public void Backward_twice_with_a_retained_graph_gives_the_same_gradients()
    {
        // The saved buffers go back to their pool after a backward only when the graph is not kept.
        var inputs = Inputs(RecurrentMode.LSTM, bias: true);
        var loss = Run(true, RecurrentMode.LSTM, true, false, inputs).Square().Sum();
        var first = Autograd.Grad([loss], inputs, retainGraph: true);
        _ = Run(true, RecurrentMode.LSTM, true, false, [.. inputs.Select(t => t.Detach() * 2)]); // another layer reuses pooled memory meanwhile
        var second = Autograd.Grad([loss], inputs);
        for (int i = 0; i < inputs.Length; i++) Fixture.AssertClose(first[i]!, second[i], $"gradient {i}", 0, 0);
        Assert.Throws<AutogradException>(() => Autograd.Grad([loss], inputs)); // freed after a backward without retainGraph
    }

    [Fact]
    public void Float32_layer_matches_its_float64_result()
    {
        // The float kernels (the vectorised cells, the packed products on several threads) at the bench's sizes.
        var inputs = Inputs(RecurrentMode.LSTM, bias: true, steps: 4, batch: 32, inputSize: 28, hidden: 256);
        var reference = Run(true, RecurrentMode.LSTM, true, false, inputs);
        var single = Run(true, RecurrentMode.LSTM, true, false, [.. inputs.Select(t => t.Detach().To(DType.Float32))]);
        Fixture.AssertClose(reference.Detach(), single.To(DType.Float64), "LSTM float32 states", 1e-4, 1e-4);
    }
}
