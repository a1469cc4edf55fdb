using Nabla.NN;

namespace Nabla.Text.Bert;

/// <summary>
/// d2l's <c>BERTModel</c> (§15.8): the <see cref="BertEncoder"/>, a pooler on the <c>&lt;cls&gt;</c>
/// vector (<c>hidden</c>: Linear + Tanh, Hugging Face's <c>pooler.dense</c>), the masked-language-model
/// head <see cref="MaskLM"/> and the next-sentence head <see cref="NextSentencePred"/>.
/// Parameter names: <c>encoder.…</c> (see <see cref="BertEncoder"/>), <c>hidden.0.weight/bias</c>,
/// <c>mlm.mlp.{0,2,3}.…</c>, <c>nsp.output.weight/bias</c>.
/// Shape: tokens, segments [B, S], valid lengths [B], prediction positions [B, P] →
/// encoded [B, S, H], MLM logits [B, P, V] (when positions are given), NSP logits [B, 2].
/// </summary>
public sealed class BertModel : Module
{
    /// <summary>The model's shape.</summary>
    public BertConfig Config { get; }

    /// <summary>Embeddings and Transformer blocks.</summary>
    public BertEncoder Encoder { get; }

    /// <summary>The pooler: Linear(H, H) then Tanh on the <c>&lt;cls&gt;</c> vector.</summary>
    public Sequential Hidden { get; }

    /// <summary>The masked-language-model head.</summary>
    public MaskLM Mlm { get; }

    /// <summary>The next-sentence-prediction head.</summary>
    public NextSentencePred Nsp { get; }

    /// <summary>d2l's constructor: <c>BERTModel(vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, max_len)</c>.</summary>
    public BertModel(int vocabSize, int numHiddens, int ffnNumHiddens, int numHeads, int numBlks, double dropout, int maxLen = 1000)
        : this(new BertConfig { VocabSize = vocabSize, NumHiddens = numHiddens, FfnNumHiddens = ffnNumHiddens, NumHeads = numHeads, NumBlks = numBlks, Dropout = dropout, MaxLen = maxLen })
    {
    }

    /// <summary>A model of the shape <paramref name="config"/> describes; weights from <see cref="Generator.Default"/>.</summary>
    public BertModel(BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Encoder = new BertEncoder(config);
        Hidden = new Sequential(new Linear(config.NumHiddens, config.NumHiddens), new Tanh());
        Mlm = new MaskLM(config.VocabSize, config.NumHiddens, config.LayerNormEps);
        Nsp = new NextSentencePred(config.NumHiddens);
    }

    /// <summary>d2l's <c>forward(tokens, segments, valid_lens=None, pred_positions=None)</c>.</summary>
    /// <param name="tokens">Token ids [B, S].</param>
    /// <param name="segments">Segment ids [B, S].</param>
    /// <param name="validLens">Valid lengths [B]; null: no padding.</param>
    /// <param name="predPositions">Positions for the MLM head [B, P]; null: no MLM logits.</param>
    public (Tensor Encoded, Tensor? MlmLogits, Tensor NspLogits) Forward(Tensor tokens, Tensor segments, Tensor? validLens = null, Tensor? predPositions = null)
    {
        Tensor encoded = Encoder.Forward(tokens, segments, validLens);
        Tensor? mlm = predPositions is null ? null : Mlm.Forward(encoded, predPositions);
        Tensor nsp = Nsp.Forward(Hidden.Forward(encoded[.., 0, ..]));
        return (encoded, mlm, nsp);
    }
}
