using System.Text.Json;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// RNN, GRU, LSTM and their cells against PyTorch 1.13 (tests/fixtures/rnn.json, made by
/// make_rnn_fixtures.py): weights loaded by name, output, final state, and the gradients of the
/// input, the initial state and every weight; plus Float64 GradChecks and layer behaviour.
/// </summary>
public class RecurrentTests
{
    static readonly Dictionary<string, JsonElement> Cases =
        Fixture.Load("rnn.json").GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    const double Rtol = 1e-5, Atol = 1e-5;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Recurrent_layer_matches_pytorch(string name)
    {
        var c = Cases[name];
        var args = c.GetProperty("args");
        int Int(string key, int fallback) => args.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        bool Bool(string key) => args.TryGetProperty(key, out var v) && v.GetBoolean();
        string nonlinearity = args.TryGetProperty("nonlinearity", out var nl) ? nl.GetString()! : "tanh";
        int inputSize = Int("inputSize", 0), hiddenSize = Int("hiddenSize", 0), numLayers = Int("numLayers", 1);
        bool bias = !args.TryGetProperty("bias", out var b) || b.GetBoolean();
        Module module = c.GetProperty("module").GetString() switch
        {
            "RNN" => new RNN(inputSize, hiddenSize, numLayers, nonlinearity, bias, Bool("batchFirst"), bidirectional: Bool("bidirectional")),
            "GRU" => new GRU(inputSize, hiddenSize, numLayers, bias, Bool("batchFirst"), bidirectional: Bool("bidirectional")),
            "LSTM" => new LSTM(inputSize, hiddenSize, numLayers, bias, Bool("batchFirst"), bidirectional: Bool("bidirectional")),
            "RNNCell" => new RNNCell(inputSize, hiddenSize, bias, nonlinearity),
            "GRUCell" => new GRUCell(inputSize, hiddenSize, bias),
            "LSTMCell" => new LSTMCell(inputSize, hiddenSize, bias),
            var other => throw new NotSupportedException(other),
        };
        var parameters = Fixture.Tensors(c.GetProperty("params"));
        Assert.Equal(parameters.Keys, module.NamedParameters().Select(p => p.Name)); // PyTorch's names and order
        module.LoadStateDict(parameters);

        var input = Fixture.Tensor(c.GetProperty("input")).RequiresGrad_();
        Tensor? h0 = c.TryGetProperty("h0", out var h0Json) ? Fixture.Tensor(h0Json).RequiresGrad_() : null;
        Tensor? c0 = c.TryGetProperty("c0", out var c0Json) ? Fixture.Tensor(c0Json).RequiresGrad_() : null;
        (Tensor Output, Tensor? H, Tensor? C) result = module switch
        {
            RNN m => Unpack(m.Call(input, h0)),
            GRU m => Unpack(m.Call(input, h0)),
            LSTM m => Unpack(m.Call(input, h0 is null ? null : (h0, c0!))),
            RNNCell m => (m.Call(input, h0), null, null),
            GRUCell m => (m.Call(input, h0), null, null),
            LSTMCell m => UnpackCell(m.Call(input, h0 is null ? null : (h0, c0!))),
            _ => throw new NotSupportedException(),
        };
        bool cell = module is not (RNN or GRU or LSTM);
        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("output")), result.Output, $"{name} output", Rtol, Atol);
        var loss = (result.Output * Fixture.Tensor(c.GetProperty("grad_output"))).Sum();
        if (!cell)
        {
            Fixture.AssertClose(Fixture.Tensor(c.GetProperty("h_n")), result.H, $"{name} h_n", Rtol, Atol);
            loss = loss + (result.H! * Fixture.Tensor(c.GetProperty("grad_h"))).Sum();
        }
        if (c.TryGetProperty("c_n", out var cn))
        {
            Fixture.AssertClose(Fixture.Tensor(cn), result.C, $"{name} c_n", Rtol, Atol);
            loss = loss + (result.C! * Fixture.Tensor(c.GetProperty("grad_c"))).Sum();
        }
        loss.Backward();

        var parameterByName = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (key, expected) in Fixture.Tensors(c.GetProperty("grads")))
        {
            var actual = key switch { "input" => input.Grad, "h0" => h0!.Grad, "c0" => c0!.Grad, _ => parameterByName[key].Grad };
            Fixture.AssertClose(expected, actual, $"{name} grad of {key}", Rtol, Atol);
        }
    }

    static (Tensor, Tensor?, Tensor?) Unpack((Tensor Output, Tensor State) r) => (r.Output, r.State, null);

    static (Tensor, Tensor?, Tensor?) Unpack((Tensor Output, (Tensor H, Tensor C) State) r) => (r.Output, r.State.H, r.State.C);

    static (Tensor, Tensor?, Tensor?) UnpackCell((Tensor H, Tensor C) r) => (r.H, null, r.C);

    // ------------------------------------------------------------------ Float64 GradCheck of each cell

    static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(seed), requiresGrad: true);

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Assert.True(Autograd.GradCheck(f, inputs));

    [Fact]
    public void RNNTanhCell_gradients() =>
        Check(t => F.RNNTanhCell(t[0], t[1], t[2], t[3], t[4], t[5]), Randn(1, 2, 3), Randn(2, 2, 4), Randn(3, 4, 3), Randn(4, 4, 4), Randn(5, 4), Randn(6, 4));

    [Fact]
    public void RNNReluCell_gradients() =>
        Check(t => F.RNNReluCell(t[0], t[1], t[2], t[3], t[4], t[5]), Randn(1, 2, 3), Randn(2, 2, 4), Randn(3, 4, 3), Randn(4, 4, 4), Randn(5, 4), Randn(6, 4));

    [Fact]
    public void GRUCell_gradients() =>
        Check(t => F.GRUCell(t[0], t[1], t[2], t[3], t[4], t[5]), Randn(1, 2, 3), Randn(2, 2, 4), Randn(3, 12, 3), Randn(4, 12, 4), Randn(5, 12), Randn(6, 12));

    [Fact]
    public void LSTMCell_gradients() =>
        Check(t =>
        {
            var (h, c) = F.LSTMCell(t[0], (t[1], t[2]), t[3], t[4], t[5], t[6]);
            return Tensor.Cat([h, c], 1);
        }, Randn(1, 2, 3), Randn(2, 2, 4), Randn(3, 2, 4), Randn(4, 16, 3), Randn(5, 16, 4), Randn(6, 16), Randn(7, 16));

    [Fact]
    public void LSTM_two_layer_bidirectional_gradients_in_float64()
    {
        var lstm = new LSTM(2, 3, numLayers: 2, bidirectional: true, dtype: DType.Float64);
        var weights = lstm.Parameters().ToArray();
        var x = Randn(1, 3, 2, 2);
        Check(t => lstm.Forward(t[0]).Output, [x]);
        Check(t => lstm.Forward(x, (t[0], t[1])).State.C, Randn(2, 4, 2, 3), Randn(3, 4, 2, 3));
        Assert.All(weights, w => Assert.Equal(DType.Float64, w.DType));
    }

    [Fact]
    public void GRU_double_backward_matches_finite_differences()
    {
        // d/dx of Σ (∂L/∂x)²: exercises the graph of the gradient itself.
        var gru = new GRU(2, 3, dtype: DType.Float64);
        Check(t =>
        {
            // GradCheck evaluates the finite differences under NoGrad on detached copies.
            using var enabled = Autograd.EnableGrad();
            var x = t[0].RequiresGrad ? t[0] : t[0].Detach().RequiresGrad_();
            var (output, _) = gru.Forward(x);
            var grad = Autograd.Grad([output.Square().Sum()], [x], createGraph: true)[0]!;
            return grad.Square().Sum();
        }, Randn(4, 3, 2, 2));
    }

    [Fact]
    public void LSTM_double_backward_matches_finite_differences()
    {
        var lstm = new LSTM(2, 3, dtype: DType.Float64);
        Check(t =>
        {
            using var enabled = Autograd.EnableGrad();
            var x = t[0].RequiresGrad ? t[0] : t[0].Detach().RequiresGrad_();
            var (output, state) = lstm.Forward(x);
            var grad = Autograd.Grad([output.Square().Sum() + state.C.Sum()], [x], createGraph: true)[0]!;
            return grad.Square().Sum();
        }, Randn(4, 3, 2, 2));
    }

    [Theory]
    [InlineData("GRU")]
    [InlineData("LSTM")]
    public void Fused_cell_gradients_equal_their_recorded_composite_formula(string kind)
    {
        // The fused kernels run for a plain backward; createGraph switches to the tensor-op formulas.
        Module<Tensor, (Tensor Output, Tensor State)>? gru = kind == "GRU" ? new GRU(3, 5, numLayers: 2, bidirectional: true, dtype: DType.Float64) : null;
        var lstm = new LSTM(3, 5, numLayers: 2, bidirectional: true, dtype: DType.Float64);
        Module module = gru ?? (Module)lstm;
        var x = Tensor.Randn([6, 2, 3], DType.Float64, new Generator(5), requiresGrad: true);
        var gradOutput = Tensor.Randn([6, 2, 10], DType.Float64, new Generator(6));
        Tensor[] Gradients(bool createGraph)
        {
            var output = gru != null ? gru.Forward(x).Output : lstm.Forward(x).Output;
            Tensor[] inputs = [x, .. module.Parameters()];
            return [.. Autograd.Grad([output], inputs, [gradOutput], createGraph: createGraph).Select(g => g!.Detach())];
        }
        var fused = Gradients(false);
        var composite = Gradients(true);
        for (int i = 0; i < fused.Length; i++) Fixture.AssertClose(composite[i], fused[i], $"{kind} gradient {i}", 1e-12, 1e-12);
    }

    // ------------------------------------------------------------------ behaviour

    [Fact]
    public void LSTM_parameter_names_shapes_and_init_bounds_are_pytorchs()
    {
        var lstm = new LSTM(5, 8, numLayers: 2, bidirectional: true);
        var shapes = lstm.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape.ToString());
        Assert.Equal(16, shapes.Count);
        Assert.Equal("[32, 5]", shapes["weight_ih_l0"]);
        Assert.Equal("[32, 8]", shapes["weight_hh_l0_reverse"]);
        Assert.Equal("[32, 16]", shapes["weight_ih_l1"]);
        Assert.Equal("[32]", shapes["bias_hh_l1_reverse"]);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"], lstm.NamedParameters().Take(5).Select(p => p.Name));
        double bound = 1 / Math.Sqrt(8);
        foreach (var p in lstm.Parameters())
            Assert.All(p.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal("LSTM(5, 8, num_layers=2, bidirectional=True)", lstm.ToString());
    }

    [Fact]
    public void Dropout_between_layers_acts_only_in_training()
    {
        var rnn = new GRU(3, 4, numLayers: 2, dropout: 0.5, generator: new Generator(7));
        var x = Tensor.Randn([5, 2, 3], generator: new Generator(1));
        rnn.Eval();
        var a = rnn.Forward(x).Output.ToArray<float>();
        var b = rnn.Forward(x).Output.ToArray<float>();
        Assert.Equal(a, b);
        rnn.Train();
        var c = rnn.Forward(x).Output.ToArray<float>();
        Assert.NotEqual(a, c);
        // Dropout applies between layers only: a one-layer GRU ignores it.
        var single = new GRU(3, 4, dropout: 0.5);
        var trained = single.Forward(x).Output.ToArray<float>();
        single.Eval();
        Assert.Equal(trained, single.Forward(x).Output.ToArray<float>());
    }

    [Fact]
    public void Wrong_state_shape_names_the_expected_shape()
    {
        var rnn = new RNN(3, 4, numLayers: 2);
        var ex = Assert.Throws<ShapeException>(() => rnn.Forward(Tensor.Zeros([5, 2, 3]), Tensor.Zeros([1, 2, 4])));
        Assert.Contains("[2, 2, 4]", ex.Message);
        Assert.Throws<ShapeException>(() => rnn.Forward(Tensor.Zeros([5, 2, 7])));
        Assert.Throws<ArgumentException>(() => new RNN(3, 4, nonlinearity: "sigmoid"));
        Assert.Throws<ShapeException>(() => new LSTM(3, 4).Forward(Tensor.Zeros([0, 2, 3])));
    }

    [Fact]
    public void To_float64_keeps_parameter_names_and_runs_in_float64()
    {
        var gru = new GRU(3, 4, numLayers: 2, bidirectional: true);
        var names = gru.NamedParameters().Select(p => p.Name).ToArray();
        gru.To(DType.Float64);
        Assert.Equal(names, gru.NamedParameters().Select(p => p.Name));
        var (output, state) = gru.Forward(Tensor.Randn([5, 2, 3], DType.Float64, new Generator(1)));
        Assert.Equal(DType.Float64, output.DType);
        Assert.Equal([5, 2, 8], output.Shape.Dims.ToArray());
        Assert.Equal([4, 2, 4], state.Shape.Dims.ToArray());
        var cell = new LSTMCell(3, 4);
        cell.To(DType.Float64);
        Assert.Equal(DType.Float64, cell.Forward(Tensor.Randn([3], DType.Float64, new Generator(2))).H.DType);
    }
}
