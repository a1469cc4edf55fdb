using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.Memory;

/// <summary>
/// A user's own module (neither <see cref="Sequential"/> nor the zoo) gets the same buffer recycling as
/// Nabla's: <see cref="Module{TInput, TOutput}.Call"/> decides it, not the model code. Tensors the module
/// keeps in its fields, or hands to a list it was given, or retains the gradient of, keep their values.
/// </summary>
/// <remarks>Runs alone: the pool and its switch are process-wide.</remarks>
[Collection(Nabla.Tests.TestSupport.RunsAloneCollection.Name)]
public class UserModuleRecyclingTests
{
    /// <summary>A residual convolutional block written as a user would: layers, functional ops, a skip connection.</summary>
    sealed class UserBlock : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1 = new(4, 8, 3, padding: 1);
        readonly Conv2d conv2 = new(8, 8, 3, padding: 1);
        readonly Conv2d skip = new(4, 8, 1);
        readonly Linear head = new(8 * 16 * 16, 10);

        /// <summary>The last hidden activation, as a user might keep it to look at.</summary>
        public Tensor? LastHidden;

        public UserBlock()
        {
            RegisterModule("conv1", conv1);
            RegisterModule("conv2", conv2);
            RegisterModule("skip", skip);
            RegisterModule("head", head);
        }

        public override Tensor Forward(Tensor input)
        {
            var h = Functional.Relu(conv1.Call(input));
            LastHidden = h;
            var y = Functional.Tanh(conv2.Call(h) * 0.5 + skip.Call(input));
            return head.Call(y.Flatten(1));
        }
    }

    /// <summary>Hands its intermediate to a list it was given (a primary-constructor capture).</summary>
    sealed class Tap(List<Tensor> sink) : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor input)
        {
            var doubled = input * 2.0;
            sink.Add(doubled);
            return doubled.Sigmoid();
        }
    }

    static T WithPool<T>(bool enabled, Func<T> run)
    {
        bool before = BufferPool.Enabled;
        BufferPool.Enabled = enabled;
        try { return run(); }
        finally { BufferPool.Enabled = before; }
    }

    static UserBlock Block(int seed)
    {
        var generator = new Generator(seed);
        var block = new UserBlock();
        foreach (var p in block.Parameters()) using (Autograd.NoGrad()) p.Copy_(Tensor.Randn(p.Shape.ToArray(), generator: generator) * 0.1);
        return block;
    }

    static (List<float> Losses, long BytesPerStep) Train(Module<Tensor, Tensor> net, int steps, int measuredFrom = 0)
    {
        var optimizer = new SGD(net.Parameters(), lr: 0.05);
        var losses = new List<float>();
        long before = 0;
        for (int step = 0; step < steps; step++)
        {
            if (step == measuredFrom) before = GC.GetAllocatedBytesForCurrentThread();
            var x = Tensor.Randn([16, 4, 16, 16], generator: new Generator(step));
            var y = Tensor.RandInt(0, 10, [16], generator: new Generator(step + 50));
            var loss = Functional.CrossEntropy(net.Call(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item<float>());
        }
        return (losses, (GC.GetAllocatedBytesForCurrentThread() - before) / (steps - measuredFrom));
    }

    [Fact]
    public void A_users_module_recycles_its_intermediates_and_trains_as_without_the_pool()
    {
        var expected = WithPool(false, () => Train(Block(1), 6, measuredFrom: 2));
        var actual = WithPool(true, () => Train(Block(1), 6, measuredFrom: 2));
        Assert.Equal(expected.Losses, actual.Losses);
        // Each step makes five activations of 16×8×16×16 floats (128 KB each) and their gradients; with the pool only the batch and small tensors are new.
        Assert.True(actual.BytesPerStep * 3 < expected.BytesPerStep, $"a step allocated {actual.BytesPerStep:N0} bytes with the pool, {expected.BytesPerStep:N0} without");
    }

    [Fact]
    public void An_intermediate_kept_in_a_field_of_a_users_module_keeps_its_values()
    {
        var block = Block(2);
        WithPool(true, () =>
        {
            Train(block, 1);
            var kept = block.LastHidden!;
            var copy = kept.Clone();
            Train(Block(3), 3); // another model's steps take whatever is in the pool
            Assert.Equal(copy.ToArray<float>(), kept.ToArray<float>());
            return 0;
        });
    }

    [Fact]
    public void An_intermediate_handed_to_a_list_the_module_holds_keeps_its_values()
    {
        var sink = new List<Tensor>();
        var net = new Sequential(new Linear(64, 4096), new Tap(sink), new Linear(4096, 10));
        WithPool(true, () =>
        {
            for (int step = 0; step < 4; step++)
                net.Call(Tensor.Randn([8, 64], generator: new Generator(step))).Sum().Backward();
            var copy = sink[0].Clone();
            for (int step = 0; step < 3; step++)
                net.Call(Tensor.Randn([8, 64], generator: new Generator(10 + step))).Sum().Backward();
            Assert.Equal(copy.ToArray<float>(), sink[0].ToArray<float>());
            return 0;
        });
    }

    /// <summary>Retains the gradient of its hidden activation and exposes it only through a static (no field).</summary>
    sealed class RetainsGrad : Module<Tensor, Tensor>
    {
        public static Tensor? Hidden;
        readonly Linear layer = new(64, 4096);

        public RetainsGrad() => RegisterModule("layer", layer);

        public override Tensor Forward(Tensor input)
        {
            var h = layer.Call(input).Tanh();
            h.RetainGrad();
            Hidden = h;
            return h.Sum(1);
        }
    }

    [Fact]
    public void A_tensor_that_retains_its_gradient_keeps_its_values()
    {
        var net = new RetainsGrad();
        WithPool(true, () =>
        {
            net.Call(Tensor.Randn([8, 64], generator: new Generator(1))).Sum().Backward();
            var hidden = RetainsGrad.Hidden!;
            var copy = hidden.Clone();
            for (int step = 0; step < 3; step++) net.Call(Tensor.Randn([8, 64], generator: new Generator(2 + step))).Sum().Backward();
            Assert.Equal(copy.ToArray<float>(), hidden.ToArray<float>());
            Assert.NotNull(hidden.Grad);
            return 0;
        });
    }

    /// <summary>Throws after making an intermediate, once.</summary>
    sealed class FailsOnce : Module<Tensor, Tensor>
    {
        bool failed;

        public override Tensor Forward(Tensor input)
        {
            var y = input * 3.0;
            if (failed) return y;
            failed = true;
            throw new InvalidOperationException("first call fails");
        }
    }

    [Fact]
    public void A_forward_that_throws_leaves_recycling_of_later_steps_intact()
    {
        var net = new Sequential(new Linear(64, 4096), new FailsOnce(), new Tanh(), new Linear(4096, 10));
        WithPool(true, () =>
        {
            Assert.Throws<InvalidOperationException>(() => net.Call(Tensor.Randn([8, 64])));
            var x = Tensor.Randn([8, 64], generator: new Generator(4));
            var expected = WithPool(false, () => net.Call(x).Clone());
            var output = net.Call(x);
            output.Sum().Backward();
            for (int step = 0; step < 3; step++) net.Call(Tensor.Randn([8, 64], generator: new Generator(5 + step))).Sum().Backward();
            Assert.Equal(expected.ToArray<float>(), output.ToArray<float>());
            return 0;
        });
    }
}
