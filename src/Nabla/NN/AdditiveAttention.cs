namespace Nabla.NN;

/// <summary>
/// The course's additive attention (d2l §10.3.2, Bahdanau et al. 2015): the score of query q and
/// key k is w_vᵀ tanh(W_q q + W_k k), the weights are <see cref="Functional.MaskedSoftmax"/> of the
/// scores over the valid keys, and the output mixes the values with the weights (after dropout).
/// Parameters are named as d2l's: <c>W_k.weight</c>, <c>W_q.weight</c>, <c>w_v.weight</c> (no biases).
/// After each forward, <see cref="AttentionWeights"/> holds the weights (before dropout).
/// Shape: queries [B, Q, querySize], keys [B, K, keySize], values [B, K, v], validLens [B] or
/// [B, Q] → [B, Q, v].
/// </summary>
public sealed class AdditiveAttention : Module<(Tensor Queries, Tensor Keys, Tensor Values, Tensor? ValidLens), Tensor>
{
    /// <summary>W_k: keySize → numHiddens, no bias.</summary>
    public Linear WK => (Linear)GetModule("W_k")!;

    /// <summary>W_q: querySize → numHiddens, no bias.</summary>
    public Linear WQ => (Linear)GetModule("W_q")!;

    /// <summary>w_v: numHiddens → 1, no bias.</summary>
    public Linear WV => (Linear)GetModule("w_v")!;

    /// <summary>Dropout on the attention weights.</summary>
    public Dropout Dropout { get; }

    /// <summary>The weights of the last forward, shape [B, Q, K]; null before the first.</summary>
    public Tensor? AttentionWeights { get; private set; }

    /// <summary>Creates the layer, with PyTorch's default initialisation of the three linear maps.</summary>
    /// <param name="keySize">Features of a key.</param>
    /// <param name="querySize">Features of a query.</param>
    /// <param name="numHiddens">Size of the hidden layer in which queries and keys are added.</param>
    /// <param name="dropout">Probability of zeroing an attention weight in training mode.</param>
    /// <param name="dtype">Floating-point type of the parameters.</param>
    /// <param name="generator">Random source of the dropout masks; the default generator when null.</param>
    public AdditiveAttention(int keySize, int querySize, int numHiddens, double dropout = 0, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (keySize <= 0 || querySize <= 0 || numHiddens <= 0)
            throw new ArgumentException($"AdditiveAttention: keySize, querySize and numHiddens must be positive, got {keySize}, {querySize} and {numHiddens}.");
        // d2l's attribute names (registered explicitly: W_k would read w_k), so its state dicts load as they are.
        RegisterModule("W_k", new Linear(keySize, numHiddens, bias: false, dtype));
        RegisterModule("W_q", new Linear(querySize, numHiddens, bias: false, dtype));
        RegisterModule("w_v", new Linear(numHiddens, 1, bias: false, dtype));
        Dropout = new Dropout(dropout, generator);
    }

    /// <inheritdoc/>
    public override Tensor Forward((Tensor Queries, Tensor Keys, Tensor Values, Tensor? ValidLens) input) =>
        Forward(input.Queries, input.Keys, input.Values, input.ValidLens);

    /// <summary>Attends from <paramref name="queries"/> to <paramref name="keys"/> and mixes <paramref name="values"/>.</summary>
    /// <param name="queries">[B, Q, querySize].</param>
    /// <param name="keys">[B, K, keySize].</param>
    /// <param name="values">[B, K, v].</param>
    /// <param name="validLens">Valid key counts, [B] or [B, Q]; null attends to every key.</param>
    public Tensor Forward(Tensor queries, Tensor keys, Tensor values, Tensor? validLens = null)
    {
        if (queries.Rank != 3 || keys.Rank != 3 || values.Rank != 3 || queries.Size(0) != keys.Size(0) || keys.Size(0) != values.Size(0) || keys.Size(1) != values.Size(1))
            throw new ShapeException($"AdditiveAttention: expects queries [B, Q, querySize], keys [B, K, keySize] and values [B, K, v], got {queries.Shape}, {keys.Shape} and {values.Shape}.");
        var q = WQ.Call(queries);
        var k = WK.Call(keys);
        // [B, Q, 1, h] + [B, 1, K, h] → [B, Q, K, h]: every query against every key.
        var features = (q.Unsqueeze(2) + k.Unsqueeze(1)).Tanh();
        var scores = WV.Call(features).Squeeze(-1);
        AttentionWeights = Functional.MaskedSoftmax(scores, validLens);
        return Dropout.Call(AttentionWeights).Bmm(values);
    }

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor, Tensor?)"/> with the module's hooks.</summary>
    public Tensor Call(Tensor queries, Tensor keys, Tensor values, Tensor? validLens = null) => Call((queries, keys, values, validLens));
}
