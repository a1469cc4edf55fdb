using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Memory;

/// <summary>A Transformer training loop (fused attention kernel, masks, dropout, Adam) stays flat in memory without any Dispose call.</summary>
/// <remarks>The managed heap is shared by all tests, so this class runs alone (a non-parallel collection).</remarks>
[Collection(Nabla.Tests.TestSupport.RunsAloneCollection.Name)]
public class TransformerMemoryTests
{
    [Fact]
    public void Managed_heap_is_flat_over_a_thousand_transformer_training_steps_without_dispose()
    {
        const int vocab = 50, dModel = 16, length = 12, batch = 4;
        var generator = new Generator(5);
        var embedding = new Embedding(vocab, dModel);
        var positions = new PositionalEncoding(dModel, dropout: 0.1, maxLen: length);
        var encoder = new TransformerEncoder(new TransformerEncoderLayer(dModel, 2, 32, dropout: 0.1, batchFirst: true), 1);
        var head = new Linear(dModel, vocab);
        var model = new Sequential(embedding, positions, head); // for the parameters only
        var optimizer = new Adam([.. model.Parameters(), .. encoder.Parameters()], lr: 1e-3);
        var tokens = Tensor.RandInt(0, vocab, [batch, length + 1], generator: generator);
        var x = tokens[.., ..length].Contiguous();
        var y = tokens[.., 1..].Reshape(-1);
        var padding = Tensor.Arange(length).Ge(10).Unsqueeze(0).Expand(batch, length).Contiguous();
        var causal = Transformer.GenerateSquareSubsequentMask(length);
        void Steps(int count)
        {
            for (int i = 0; i < count; i++)
            {
                // Alternate the fused causal kernel (isCausal hint) and the masked path with a key padding mask.
                var h = positions.Call(embedding.Call(x));
                h = i % 2 == 0 ? encoder.Call(h, causal, isCausal: true) : encoder.Call(h, causal, padding);
                var loss = Functional.CrossEntropy(head.Call(h).Reshape(-1, vocab), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
        }
        Steps(200);
        long after200 = GC.GetTotalMemory(forceFullCollection: true);
        Steps(800);
        long after1000 = GC.GetTotalMemory(forceFullCollection: true);
        // Each step allocates a few hundred KB of temporaries; keeping even one small tensor per step would add ~1 MB.
        Assert.True(after1000 - after200 < 1_000_000, $"managed heap grew from {after200:N0} to {after1000:N0} bytes");
    }
}
