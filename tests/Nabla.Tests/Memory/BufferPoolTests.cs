namespace Nabla.Tests.Memory;

/// <summary>
/// Backward gives the large gradients it made and consumed back to <see cref="BufferPool"/>. These
/// tests check that recycling never changes a result: gradients equal those of a backward that
/// recycles nothing (the pool switched off), and tensors that escape the backward
/// (retained gradients, hooks, captured gradients, leaf gradients) keep their values while later
/// backward passes reuse buffers. Tensors are above <see cref="BufferPool.MinLength"/> elements.
/// </summary>
/// <remarks>Runs alone: the pool and its counters are process-wide.</remarks>
[Collection(Nabla.Tests.TestSupport.RunsAloneCollection.Name)]
public class BufferPoolTests
{
    const int Rows = 256, Cols = 96; // 24,576 elements, above the pool's minimum

    /// <summary>A graph with fan-out, pass-through gradients (x + x), views, broadcasting and a dtype-preserving reduce.</summary>
    static Tensor Loss(Tensor x, Tensor w, Tensor b)
    {
        var h = (x.MatMul(w) + b).Sigmoid();             // broadcast bias: its gradient is reduced to [Cols]
        var doubled = h + h;                              // AddBackward passes one gradient on twice
        var t = doubled.Transpose(0, 1).Reshape(Cols, Rows).Transpose(0, 1); // views over one storage
        var mixed = t * h.Tanh() + h.Relu();              // h used three times: gradients summed in its buffer
        return mixed.Square().Mean() + mixed.Sum(0).Pow(2).Sum() * 1e-4;
    }

    static (Tensor X, Tensor W, Tensor B) Inputs(int seed, DType dtype)
    {
        var g = new Generator(seed);
        var x = Tensor.Randn([Rows, Cols], dtype: dtype, generator: g).RequiresGrad_();
        var w = (Tensor.Randn([Cols, Cols], dtype: dtype, generator: g) * 0.1).Detach().RequiresGrad_();
        var b = Tensor.Randn([Cols], dtype: dtype, generator: g).RequiresGrad_();
        return (x, w, b);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Recycled_gradients_equal_the_gradients_of_a_backward_that_keeps_everything(DType dtype)
    {
        var (x, w, b) = Inputs(1, dtype);
        Tensor[] expected;
        BufferPool.Enabled = false;
        try
        {
            Loss(x, w, b).Backward();
            expected = [x.Grad!, w.Grad!, b.Grad!];
        }
        finally
        {
            BufferPool.Enabled = true;
        }
        for (int round = 0; round < 3; round++) // later rounds run on recycled buffers
        {
            x.Grad = w.Grad = b.Grad = null;
            Loss(x, w, b).Backward();
            Assert.Equal(expected[0].To(DType.Float64).ToArray<double>(), x.Grad!.To(DType.Float64).ToArray<double>());
            Assert.Equal(expected[1].To(DType.Float64).ToArray<double>(), w.Grad!.To(DType.Float64).ToArray<double>());
            Assert.Equal(expected[2].To(DType.Float64).ToArray<double>(), b.Grad!.To(DType.Float64).ToArray<double>());
        }
    }

    [Fact]
    public void A_second_backward_of_the_same_shapes_reuses_buffers()
    {
        var (x, w, b) = Inputs(2, DType.Float32);
        Loss(x, w, b).Backward();
        long before = BufferPool.Reused;
        Loss(x, w, b).Backward();
        Assert.True(BufferPool.Reused > before, "no gradient buffer was reused by the second backward");
    }

    [Fact]
    public void Max_pooling_recycles_its_private_indices_after_backward_and_keeps_returned_ones()
    {
        // [4, 8, 48, 48] pooled 3×3, stride 2, padding 1 → [4, 8, 24, 24]: 18,432 Int64 indices, above the pool's minimum.
        // Two poolings per step: a recycled index buffer is reused by the next step's poolings while results must not change.
        var x = Tensor.Randn([4, 8, 48, 48], generator: new Generator(5)).RequiresGrad_();
        Tensor Pool() => x.MaxPool2d(3, 2, 1);
        BufferPool.Enabled = false;
        Tensor expected;
        try
        {
            (Pool() * Pool()).Sum().Backward();
            expected = x.Grad!.Clone();
        }
        finally
        {
            BufferPool.Enabled = true;
        }
        long before = BufferPool.Reused;
        for (int round = 0; round < 3; round++)
        {
            x.Grad = null;
            (Pool() * Pool()).Sum().Backward();
            Assert.Equal(expected.ToArray<float>(), x.Grad!.ToArray<float>());
        }
        Assert.True(BufferPool.Reused > before, "the pooling's indices were not reused");

        // Indices handed to the caller stay valid after backward and later steps.
        var (values, indices) = x.MaxPool2dWithIndices(3, 2, 1);
        long[] kept = indices.ToArray<long>();
        values.Sum().Backward();
        (Pool() * Pool()).Sum().Backward();
        Assert.Equal(kept, indices.ToArray<long>());
    }

    [Fact]
    public void Leaf_gradients_accumulate_correctly_over_backward_passes_that_reuse_buffers()
    {
        var (x, w, b) = Inputs(3, DType.Float32);
        Loss(x, w, b).Backward();
        var once = w.Grad!.Clone();
        Loss(x, w, b).Backward(); // accumulates: the first gradient must not have been recycled under w.Grad
        AssertClose((once * 2).ToArray<float>(), w.Grad!.ToArray<float>());
    }

    [Fact]
    public void Retained_hooked_and_captured_gradients_keep_their_values_after_later_backward_passes()
    {
        var (x, w, b) = Inputs(4, DType.Float32);
        var h = (x.MatMul(w) + b).Sigmoid();
        h.RetainGrad();
        Tensor? hooked = null;
        var z = h * 3;
        z.RegisterHook(g => { hooked = g; return null; });
        z.Square().Mean().Backward();
        var retained = h.Grad!.Clone();
        var seenByHook = hooked!.Clone();
        var captured = Autograd.Grad([(x.MatMul(w) + b).Sigmoid().Square().Sum()], [x])[0]!;
        var capturedCopy = captured.Clone();

        for (int i = 0; i < 3; i++) // these reuse whatever went back to the pool
        {
            x.Grad = w.Grad = b.Grad = null;
            Loss(x, w, b).Backward();
        }
        Assert.Equal(retained.ToArray<float>(), h.Grad!.ToArray<float>());
        Assert.Equal(seenByHook.ToArray<float>(), hooked.ToArray<float>());
        Assert.Equal(capturedCopy.ToArray<float>(), captured.ToArray<float>());
    }

    [Fact]
    public void Gradients_accumulate_in_place_when_nobody_has_read_them()
    {
        var (x, w, b) = Inputs(6, DType.Float32);
        Loss(x, w, b).Backward();
        var once = w.Grad!.Clone();
        w.Grad = null; // set through the public setter: the next gradient is autograd's own again
        Loss(x, w, b).Backward();
        Loss(x, w, b).Backward(); // accumulates into the private gradient in place
        AssertClose((once * 2).ToArray<float>(), w.Grad!.ToArray<float>());
    }

    [Fact]
    public void A_gradient_read_by_the_user_survives_ZeroGrad_and_later_steps()
    {
        var (x, w, b) = Inputs(7, DType.Float32);
        var optimizer = new Nabla.Optim.SGD([x, w, b], lr: 0.01);
        Loss(x, w, b).Backward();
        var kept = w.Grad!;          // the user holds the gradient tensor itself
        var copy = kept.Clone();
        optimizer.ZeroGrad();        // must not recycle it
        for (int i = 0; i < 3; i++)
        {
            Loss(x, w, b).Backward();
            optimizer.Step();
            optimizer.ZeroGrad();    // these gradients were never read: recycled
        }
        Assert.Equal(copy.ToArray<float>(), kept.ToArray<float>());
    }

    [Fact]
    public void ZeroGrad_recycles_gradients_nobody_read()
    {
        var (x, w, b) = Inputs(8, DType.Float32);
        var optimizer = new Nabla.Optim.SGD([x, w, b], lr: 0.01);
        long PerStep(bool pool)
        {
            BufferPool.Enabled = pool;
            try
            {
                for (int i = 0; i < 2; i++) Step();
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 4; i++) Step();
                return (GC.GetAllocatedBytesForCurrentThread() - before) / 4;
            }
            finally
            {
                BufferPool.Enabled = true;
            }
        }
        void Step()
        {
            optimizer.ZeroGrad();
            Loss(x, w, b).Backward();
            optimizer.Step();
        }
        Loss(x, w, b).Backward();
        var unread = x.PrivateGrad!.storage;
        optimizer.ZeroGrad();
        Assert.Null(unread.Data); // went back to the pool
        Loss(x, w, b).Backward();
        var read = x.Grad!.storage;
        optimizer.ZeroGrad();
        Assert.NotNull(read.Data); // the user may still hold it

        long without = PerStep(false), with = PerStep(true);
        // x's gradient and the intermediate gradients (each 96 KB) come from the pool; the forward's activations are new either way.
        Assert.True(with + 8 * Rows * Cols * sizeof(float) < without, $"a step allocated {with:N0} bytes with the pool, {without:N0} without");
    }

    [Fact]
    public void A_users_gradient_argument_is_never_recycled()
    {
        var (x, w, b) = Inputs(5, DType.Float32);
        var y = x.MatMul(w) + b;
        var seed = Tensor.Randn([Rows, Cols], generator: new Generator(9));
        var copy = seed.Clone();
        y.Backward(seed);
        for (int i = 0; i < 2; i++) Loss(x, w, b).Backward();
        Assert.Equal(copy.ToArray<float>(), seed.ToArray<float>());
    }

    static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
