using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>transformer</c>: the anchors' Transformer-encoder language-model training step: Embedding(5000, 256)·√256 plus
/// the sinusoidal positions, dropout 0.1, 2 × TransformerEncoderLayer(256, 4 heads, FFN 1024, dropout 0.1, ReLU,
/// post-norm, batch first) with the causal mask (and PyTorch 2's isCausal hint, so the fused causal kernel runs),
/// Linear(256 → 5000), cross-entropy on the next token, Adam lr 1e-3; batch 32 × 64 seeded random tokens. Figure
/// <c>transformer-lm-d256-l2-s64-b32</c> tokens_per_s: 2 warm-up steps, then the median of ITERS (default 10) steps.
/// </summary>
internal sealed class TransformerJob : IBenchJob
{
    public string Name => "transformer";

    /// <summary>The anchors' TransformerLM.</summary>
    internal sealed class TransformerLM : Module<Tensor, Tensor>
    {
        public Embedding Emb { get; }
        public PositionalEncoding Positions { get; }
        public ModuleList Layers { get; }
        public Linear Out { get; }
        public Tensor Mask { get; }

        public TransformerLM(int vocab, int dModel, int heads, int feedForward, int layers, int maxLen, double dropout)
        {
            Emb = new Embedding(vocab, dModel);
            Positions = new PositionalEncoding(dModel, dropout, maxLen);
            Layers = [.. Enumerable.Range(0, layers).Select(_ => new TransformerEncoderLayer(dModel, heads, feedForward, dropout, batchFirst: true))];
            Out = new Linear(dModel, vocab);
            Mask = Transformer.GenerateSquareSubsequentMask(maxLen);
        }

        public override Tensor Forward(Tensor tokens)
        {
            var h = Positions.Call(Emb.Call(tokens) * Math.Sqrt(Emb.EmbeddingDim));
            foreach (TransformerEncoderLayer layer in Layers)
                h = layer.Call(h, Mask, isCausal: true);
            return Out.Call(h);
        }
    }

    public IEnumerable<Figure> Run()
    {
        const int batch = 32, length = 64, vocab = 5000, dModel = 256;
        var generator = new Generator(0);
        var model = new TransformerLM(vocab, dModel, heads: 4, feedForward: 1024, layers: 2, maxLen: length, dropout: 0.1);
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var tokens = Tensor.RandInt(0, vocab, [batch, length + 1], generator: generator);
        var x = tokens[.., ..length].Contiguous();
        var y = tokens[.., 1..].Reshape(-1);
        void Step()
        {
            var loss = Functional.CrossEntropy(model.Call(x).Reshape(-1, vocab), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        double seconds = Timing.MedianSeconds(Step, warmups: 2, rounds: AttentionJob.BenchIterations(10), repsPerRound: 1);
        yield return new Figure($"transformer-lm-d{dModel}-l2-s{length}-b{batch}", ("tokens_per_s", batch * length / seconds));
    }
}
