using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Memory;

/// <summary>
/// A module's <see cref="Module{TInput, TOutput}.Call"/> (here <see cref="Sequential"/>'s) recycles its intermediate activations once the backward of its forward
/// has run. Recycling must never change a value: training equals training with the pool off, and
/// every tensor a user can still reach (hooked outputs, tensors kept by a user's module, the
/// output, a graph kept for a second backward) keeps its values.
/// </summary>
/// <remarks>Runs alone: the pool and its switch are process-wide.</remarks>
[Collection(Nabla.Tests.TestSupport.RunsAloneCollection.Name)]
public class RecyclingScopeTests
{
    /// <summary>A small LeNet-like network with views (Flatten) and an identity (its output is its input): activations above the pool's minimum.</summary>
    static Sequential Network(int seed)
    {
        var generator = new Generator(seed);
        var net = new Sequential(
            new Conv2d(1, 6, kernelSize: 5, padding: 2), new Sigmoid(),
            new AvgPool2d(kernelSize: 2, stride: 2),
            new Conv2d(6, 16, kernelSize: 5), new ReLU(), new Identity(),
            new AvgPool2d(kernelSize: 2, stride: 2),
            new Flatten(),
            new Linear(16 * 5 * 5, 32), new Tanh(),
            new Linear(32, 10));
        foreach (var p in net.Parameters()) using (Autograd.NoGrad()) p.Copy_(Tensor.Randn(p.Shape.ToArray(), generator: generator) * 0.2);
        return net;
    }

    static (Tensor X, Tensor Y) Batch(int seed) =>
        (Tensor.Randn([64, 1, 28, 28], generator: new Generator(seed)), Tensor.RandInt(0, 10, [64], generator: new Generator(seed + 1)));

    static List<float> Train(Sequential net, int steps)
    {
        var optimizer = new SGD(net.Parameters(), lr: 0.1);
        var losses = new List<float>();
        for (int step = 0; step < steps; step++)
        {
            var (x, y) = Batch(step);
            var loss = Functional.CrossEntropy(net.Call(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item<float>());
        }
        return losses;
    }

    static T WithPool<T>(bool enabled, Func<T> run)
    {
        bool before = BufferPool.Enabled;
        BufferPool.Enabled = enabled;
        try { return run(); }
        finally { BufferPool.Enabled = before; }
    }

    [Fact]
    public void Training_with_recycled_activations_equals_training_without_the_pool()
    {
        var expectedNet = Network(1);
        var expected = WithPool(false, () => Train(expectedNet, 6));
        var actualNet = Network(1);
        var actual = WithPool(true, () => Train(actualNet, 6));
        Assert.Equal(expected, actual);
        Assert.Equal(expectedNet[-1].Parameters().First().ToArray<float>(), actualNet[-1].Parameters().First().ToArray<float>());
    }

    [Fact]
    public void A_training_step_reuses_its_activation_memory()
    {
        long PerStep(bool pool)
        {
            var net = Network(2);
            WithPool(pool, () => Train(net, 3));
            long before = GC.GetAllocatedBytesForCurrentThread();
            WithPool(pool, () => Train(net, 5));
            return (GC.GetAllocatedBytesForCurrentThread() - before) / 5;
        }
        long without = PerStep(false), with = PerStep(true);
        // The input batch (200 KB) and small tensors are allocated either way; activations and gradients (~3.5 MB) only without the pool.
        Assert.True(with * 4 < without, $"a step allocated {with:N0} bytes with the pool, {without:N0} without");
    }

    /// <summary>ResNet-18 at a quarter width on 64×64 inputs: residual blocks recycle inside their own forward (Module.Call decides it).</summary>
    static (List<float> Losses, float[] Head, long BytesPerStep) TrainResNet(bool pool)
    {
        return WithPool(pool, () =>
        {
            Generator.ManualSeed(3);
            var net = Nabla.Vision.Models.ResNet.ResNet18(inChannels: 1, numClasses: 10, width: 0.25);
            var optimizer = new SGD(net.Parameters(), lr: 0.05);
            var losses = new List<float>();
            long before = 0;
            for (int step = 0; step < 5; step++)
            {
                if (step == 2) before = GC.GetAllocatedBytesForCurrentThread();
                var x = Tensor.Randn([16, 1, 64, 64], generator: new Generator(step));
                var y = Tensor.RandInt(0, 10, [16], generator: new Generator(step + 100));
                var loss = Functional.CrossEntropy(net.Call(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                losses.Add(loss.Item<float>());
            }
            long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 3;
            return (losses, net.Fc.Parameters().First().ToArray<float>(), perStep);
        });
    }

    [Fact]
    public void ResNet_training_with_recycled_block_activations_equals_training_without_the_pool()
    {
        var expected = TrainResNet(pool: false);
        var actual = TrainResNet(pool: true);
        Assert.Equal(expected.Losses, actual.Losses);
        Assert.Equal(expected.Head, actual.Head);
        // Activations of the stem and of every block are reused; without recycling a step allocates them all again.
        Assert.True(actual.BytesPerStep * 3 < expected.BytesPerStep, $"a step allocated {actual.BytesPerStep:N0} bytes with the pool, {expected.BytesPerStep:N0} without");
    }

    [Fact]
    public void Outputs_seen_by_a_forward_hook_are_not_recycled()
    {
        var net = Network(3);
        var seen = new List<Tensor>();
        net[1].RegisterForwardHook((module, input, output) => seen.Add((Tensor)output!));
        WithPool(true, () => Train(net, 1));
        var copy = seen[0].Clone();
        WithPool(true, () => Train(net, 3));
        Assert.Equal(copy.ToArray<float>(), seen[0].ToArray<float>());
    }

    [Fact]
    public void An_output_that_is_a_view_of_an_intermediate_keeps_its_values()
    {
        var net = new Sequential(new Conv2d(1, 6, kernelSize: 5, padding: 2), new Sigmoid(), new Flatten(), new Identity());
        var (x, _) = Batch(9);
        WithPool(true, () =>
        {
            var output = net.Call(x);
            var copy = output.Clone();
            output.Sum().Backward();
            for (int i = 0; i < 3; i++) net.Call(Batch(30 + i).X).Sum().Backward();
            Assert.Equal(copy.ToArray<float>(), output.ToArray<float>());
            return 0;
        });
    }

    /// <summary>A user's module that keeps its input, as a visualisation of feature maps would.</summary>
    sealed class KeepInput : Module<Tensor, Tensor>
    {
        public readonly List<Tensor> Kept = [];

        public override Tensor Forward(Tensor input)
        {
            Kept.Add(input);
            return input * 1.0;
        }
    }

    [Fact]
    public void Tensors_kept_by_a_users_module_are_not_recycled()
    {
        var keeper = new KeepInput();
        var net = new Sequential(new Conv2d(1, 6, kernelSize: 5, padding: 2), new Sigmoid(), keeper, new Flatten(), new Linear(6 * 28 * 28, 10));
        WithPool(true, () => Train(net, 1));
        var copy = keeper.Kept[0].Clone();
        WithPool(true, () => Train(net, 3));
        Assert.Equal(copy.ToArray<float>(), keeper.Kept[0].ToArray<float>());
    }

    [Fact]
    public void A_graph_kept_for_a_second_backward_keeps_its_activations()
    {
        var net = Network(4);
        var (x, y) = Batch(7);
        WithPool(true, () =>
        {
            var loss = Functional.CrossEntropy(net.Call(x), y);
            loss.Backward(retainGraph: true);
            var first = net[0].Parameters().First().Grad!.Clone();
            Train(Network(5), 2); // another network's steps take whatever is in the pool
            net.ZeroGrad();
            loss.Backward();
            Assert.Equal(first.ToArray<float>(), net[0].Parameters().First().Grad!.ToArray<float>());
            return 0;
        });
    }

    [Fact]
    public void Forward_without_autograd_recycles_intermediates_but_never_the_output()
    {
        var net = Network(6);
        var (x, _) = Batch(8);
        Tensor expected = WithPool(false, () => { using (Autograd.NoGrad()) return net.Call(x); });
        WithPool(true, () =>
        {
            using (Autograd.NoGrad())
            {
                var first = net.Call(x);
                for (int i = 0; i < 3; i++) net.Call(Batch(20 + i).X);
                Assert.Equal(expected.ToArray<float>(), first.ToArray<float>());
            }
            return 0;
        });
    }
}
