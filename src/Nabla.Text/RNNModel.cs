using Nabla.NN;

namespace Nabla.Text;

/// <summary>
/// d2l's <c>RNNModel</c> (§8.6): a character/word language model made of a recurrent layer
/// (<see cref="RNN"/>, <see cref="GRU"/> or <see cref="LSTM"/>) over one-hot tokens and a linear
/// output layer to the vocabulary. The recurrent state is a tensor array: [h] for RNN and GRU,
/// [h, c] for LSTM, each [L·D, N, H].
/// Shape: inputs [N, T] (token indices) → logits [T·N, V] (time-major, as d2l), state.
/// </summary>
public sealed class RNNModel : Module
{
    /// <summary>The recurrent layer; its input size must be <see cref="VocabSize"/>.</summary>
    public Module Rnn { get; }

    /// <summary>The output layer [D·H → V].</summary>
    public Linear Linear { get; }

    /// <summary>Number of tokens in the vocabulary.</summary>
    public int VocabSize { get; }

    readonly int hiddenSize, stateCount, stateLayers;

    /// <summary>Wraps <paramref name="rnn"/> (not batch-first) with a linear output layer.</summary>
    /// <param name="rnn">An <see cref="RNN"/>, <see cref="GRU"/> or <see cref="LSTM"/> with inputSize = vocabSize.</param>
    /// <param name="vocabSize">Number of tokens.</param>
    public RNNModel(Module rnn, int vocabSize)
    {
        (int inputSize, hiddenSize, int directions, int layers, bool batchFirst, stateCount) = rnn switch
        {
            RNN r => (r.InputSize, r.HiddenSize, r.NumDirections, r.NumLayers, r.BatchFirst, 1),
            GRU g => (g.InputSize, g.HiddenSize, g.NumDirections, g.NumLayers, g.BatchFirst, 1),
            LSTM l => (l.InputSize, l.HiddenSize, l.NumDirections, l.NumLayers, l.BatchFirst, 2),
            _ => throw new ArgumentException($"RNNModel: the recurrent layer must be an RNN, GRU or LSTM, got {rnn.GetType().Name}.", nameof(rnn)),
        };
        if (inputSize != vocabSize) throw new ArgumentException($"RNNModel: the recurrent layer takes {inputSize} features but the vocabulary has {vocabSize} tokens.", nameof(rnn));
        if (batchFirst) throw new ArgumentException("RNNModel: the recurrent layer must be time-major (batchFirst: false).", nameof(rnn));
        Rnn = rnn;
        VocabSize = vocabSize;
        stateLayers = layers * directions;
        Linear = new Linear(hiddenSize * directions, vocabSize);
    }

    /// <summary>Zero state for <paramref name="batchSize"/> sequences (d2l's <c>begin_state</c>).</summary>
    public Tensor[] BeginState(int batchSize)
    {
        var state = new Tensor[stateCount];
        for (int i = 0; i < stateCount; i++) state[i] = Tensor.Zeros([stateLayers, batchSize, hiddenSize], Linear.Weight.DType);
        return state;
    }

    /// <summary>Logits [T·N, V] for inputs [N, T] and the new state; a zero state when <paramref name="state"/> is null.</summary>
    public (Tensor Output, Tensor[] State) Forward(Tensor inputs, Tensor[]? state = null)
    {
        if (inputs.Rank != 2) throw new ShapeException($"RNNModel: inputs must be [batch, steps] token indices, got {inputs.Shape}.");
        state ??= BeginState(inputs.Size(0));
        var x = inputs.T.OneHot(VocabSize).To(Linear.Weight.DType); // [T, N, V]
        (Tensor y, Tensor[] next) = Rnn switch
        {
            RNN r => Single(r.Forward(x, state[0])),
            GRU g => Single(g.Forward(x, state[0])),
            LSTM l => Pair(l.Forward(x, (state[0], state[1]))),
            _ => throw new InvalidOperationException(),
        };
        return (Linear.Forward(y.Reshape(-1, y.Size(-1))), next);
    }

    static (Tensor, Tensor[]) Single((Tensor Output, Tensor State) r) => (r.Output, [r.State]);

    static (Tensor, Tensor[]) Pair((Tensor Output, (Tensor H, Tensor C) State) r) => (r.Output, [r.State.H, r.State.C]);
}
