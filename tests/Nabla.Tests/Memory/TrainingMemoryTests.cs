using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Memory;

/// <summary>A training loop stays flat in memory without any Dispose call.</summary>
/// <remarks>The managed heap is shared by all tests, so this class runs alone (a non-parallel collection).</remarks>
[Collection(Nabla.Tests.TestSupport.RunsAloneCollection.Name)]
public class TrainingMemoryTests
{
    [Fact]
    public void Managed_heap_is_flat_over_hundreds_of_training_steps_without_dispose()
    {
        var generator = new Generator(3);
        var model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10));
        var optimizer = new SGD(model.Parameters(), lr: 0.05, momentum: 0.9);
        var inputs = Tensor.Randn([32, 64], generator: generator);
        var labels = Tensor.RandInt(0, 10, [32], generator: generator);
        void Steps(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var loss = Functional.CrossEntropy(model.Call(inputs), labels);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
        }
        Steps(100);
        long after100 = GC.GetTotalMemory(forceFullCollection: true);
        Steps(400);
        long after500 = GC.GetTotalMemory(forceFullCollection: true);
        // Each step allocates ~100 KB of temporaries; a leak of even one per step would add ~40 MB.
        Assert.True(after500 - after100 < 2_000_000, $"managed heap grew from {after100:N0} to {after500:N0} bytes");
    }
}
