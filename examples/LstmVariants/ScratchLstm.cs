using Nabla;
using Nabla.NN;

namespace LstmVariants;

/// <summary>
/// d2l §9.2.2's LSTM language model written from scratch in tensor ops: one-hot characters, one LSTM
/// layer whose step is spelled out gate by gate, a linear output. The gradients come from autograd.
/// Shape: tokens [N, T] → logits [T·N, V] (time-major, as d2l) and the state (h, c), each [N, H].
/// </summary>
public sealed class ScratchLstm : Module
{
    readonly LstmVariant variant;
    readonly int vocabSize, hidden;

    /// <summary>A model over <paramref name="vocabSize"/> tokens with <paramref name="hidden"/> units, d2l's initialisation (N(0, 0.01²) weights, zero biases).</summary>
    public ScratchLstm(int vocabSize, int hidden, LstmVariant variant, Generator? generator = null)
    {
        (this.vocabSize, this.hidden, this.variant) = (vocabSize, hidden, variant);
        Parameter Normal(params int[] shape) => new(Init.Normal_(Tensor.Empty(shape), 0, 0.01, generator));
        Parameter Zeros(params int[] shape) => new(Tensor.Zeros(shape));
        foreach (string gate in variant == LstmVariant.CoupledGates ? new[] { "i", "o", "c" } : ["i", "f", "o", "c"])
        {
            RegisterParameter($"W_x{gate}", Normal(vocabSize, hidden));
            RegisterParameter($"W_h{gate}", Normal(hidden, hidden));
            RegisterParameter($"b_{gate}", Zeros(hidden));
        }
        if (variant == LstmVariant.Peephole)
            foreach (string gate in new[] { "i", "f", "o" })
                RegisterParameter($"w_c{gate}", Normal(hidden)); // diagonal: one weight per cell
        RegisterParameter("W_hq", Normal(hidden, vocabSize));
        RegisterParameter("b_q", Zeros(vocabSize));
    }

    Tensor P(string name) => GetParameter(name)!;

    /// <summary>The zero state for <paramref name="batchSize"/> sequences.</summary>
    public (Tensor H, Tensor C) BeginState(int batchSize) => (Tensor.Zeros([batchSize, hidden]), Tensor.Zeros([batchSize, hidden]));

    /// <summary>Logits [T·N, V] for tokens [N, T], from <paramref name="state"/> (zeros when null).</summary>
    public (Tensor Logits, (Tensor H, Tensor C) State) Forward(Tensor tokens, (Tensor H, Tensor C)? state = null)
    {
        var (h, c) = state ?? BeginState(tokens.Size(0));
        var inputs = tokens.T.OneHot(vocabSize).To(DType.Float32); // [T, N, V]
        var outputs = new List<Tensor>();
        for (int t = 0; t < inputs.Size(0); t++)
        {
            var x = inputs.Select(0, t);
            Tensor Gate(string name) => x.MatMul(P($"W_x{name}")) + h.MatMul(P($"W_h{name}")) + P($"b_{name}");
            var input = Gate("i");
            var forget = variant == LstmVariant.CoupledGates ? null : Gate("f");
            if (variant == LstmVariant.Peephole)
            {
                input = input + c * P("w_ci");   // i = σ(W_xi x + W_hi h + w_ci ⊙ c + b_i)
                forget = forget! + c * P("w_cf"); // f likewise with w_cf
            }
            var i = input.Sigmoid();
            var f = forget?.Sigmoid() ?? 1 - i;  // CIFG: f = 1 − i
            c = f * c + i * Gate("c").Tanh();     // c′ = f ⊙ c + i ⊙ c̃
            var output = Gate("o");
            if (variant == LstmVariant.Peephole) output = output + c * P("w_co"); // the output gate peeks at c′
            h = output.Sigmoid() * c.Tanh();      // h′ = o ⊙ tanh(c′)
            outputs.Add(h.MatMul(P("W_hq")) + P("b_q"));
        }
        return (Tensor.Cat(outputs, 0), (h, c));
    }
}
