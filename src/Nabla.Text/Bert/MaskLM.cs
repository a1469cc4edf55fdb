using Nabla.NN;

namespace Nabla.Text.Bert;

/// <summary>
/// d2l's <c>MaskLM</c> (§15.8): the masked-language-model head. The encoder's vectors at the
/// predicted positions go through Linear → ReLU → LayerNorm → Linear to the vocabulary.
/// Parameters: <c>mlp.0</c> (Linear H→H), <c>mlp.2</c> (LayerNorm H), <c>mlp.3</c> (Linear H→V);
/// Hugging Face's <c>cls.predictions.transform.dense</c>, <c>….LayerNorm</c> and <c>….decoder</c>
/// (which use GELU where d2l uses ReLU).
/// Shape: encoded [B, S, H], predPositions [B, P] int64 → logits [B, P, V].
/// </summary>
public sealed class MaskLM : Module
{
    /// <summary>Linear(H, H), ReLU, LayerNorm(H), Linear(H, V).</summary>
    public Sequential Mlp { get; }

    /// <summary>Creates the head.</summary>
    /// <param name="vocabSize">V: tokens to score.</param>
    /// <param name="numHiddens">H: the encoder's width.</param>
    /// <param name="layerNormEps">The LayerNorm's epsilon (d2l and PyTorch: 1e-5; BERT: 1e-12).</param>
    public MaskLM(int vocabSize, int numHiddens, double layerNormEps = 1e-5)
    {
        if (vocabSize < 1) throw new ArgumentOutOfRangeException(nameof(vocabSize), $"MaskLM: vocabSize must be at least 1, got {vocabSize}.");
        if (numHiddens < 1) throw new ArgumentOutOfRangeException(nameof(numHiddens), $"MaskLM: numHiddens must be at least 1, got {numHiddens}.");
        Mlp = new Sequential(new Linear(numHiddens, numHiddens), new ReLU(), new LayerNorm(numHiddens, layerNormEps), new Linear(numHiddens, vocabSize));
    }

    /// <summary>The logits of the tokens at <paramref name="predPositions"/> of each sequence.</summary>
    /// <param name="encoded">The encoder's output [B, S, H].</param>
    /// <param name="predPositions">Positions to predict [B, P] (int64, each in [0, S)).</param>
    public Tensor Forward(Tensor encoded, Tensor predPositions)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(predPositions);
        if (encoded.Rank != 3) throw new ShapeException($"MaskLM: encoded must be [batch, steps, hiddens], got {encoded.Shape}.");
        if (predPositions.Rank != 2 || predPositions.Size(0) != encoded.Size(0))
            throw new ShapeException($"MaskLM: predPositions must be [batch, predictions] with batch {encoded.Size(0)}, got {predPositions.Shape}.");
        int batch = encoded.Size(0), steps = encoded.Size(1), hiddens = encoded.Size(2), predictions = predPositions.Size(1);
        // X[batch_idx, pred_positions] as one IndexSelect on the [B·S, H] rows: row = b·S + position.
        Tensor rowStarts = (Tensor.Arange(batch) * (long)steps).Unsqueeze(1);
        Tensor rows = (predPositions.To(DType.Int64) + rowStarts).Reshape(-1);
        Tensor selected = encoded.Reshape(batch * steps, hiddens).IndexSelect(0, rows).Reshape(batch, predictions, hiddens);
        return Mlp.Forward(selected);
    }
}
