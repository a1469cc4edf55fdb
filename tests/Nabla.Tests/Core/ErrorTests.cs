namespace Nabla.Tests.Core;

/// <summary>Bad input raises a typed exception whose message names the op and the shapes.</summary>
public class ErrorTests
{
    [Fact]
    public void Matmul_shape_mismatch_names_op_and_shapes()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(64, 400).MatMul(Tensor.Zeros(256, 10)));
        Assert.Equal("MatMul: shapes [64, 400] and [256, 10] cannot be multiplied (400 ≠ 256).", e.Message);
    }

    [Fact]
    public void Broadcast_mismatch_names_op_and_shapes()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("Add: shapes [2, 3] and [4] cannot be broadcast", e.Message);
    }

    [Fact]
    public void Bad_dim_names_op_and_range()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3).Sum(2));
        Assert.Contains("Sum: dimension 2 is out of range for a tensor of rank 2", e.Message);
        Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3).Softmax(-3));
    }

    [Fact]
    public void Dtype_misuse_is_a_dtype_exception()
    {
        var e = Assert.Throws<DTypeException>(() => Tensor.Arange(5).Mean());
        Assert.Contains("Mean", e.Message);
        // The dtype as a C# user writes it (DType.Int64), not PyTorch's torch.int64.
        Assert.Equal("Mean: expects a floating-point tensor, got Int64; convert with Float() first.", e.Message);
        Assert.Throws<DTypeException>(() => Tensor.Arange(3).RequiresGrad_());
        Assert.Throws<DTypeException>(() => Tensor.Zeros(3).Gather(0, Tensor.Zeros([3], DType.Int32)));
    }

    [Fact]
    public void Backward_twice_without_retain_graph_fails_naming_the_node()
    {
        var x = Tensor.Ones([3], requiresGrad: true);
        var y = (x.Exp() * 2).Sum();
        y.Backward();
        var e = Assert.Throws<AutogradException>(() => y.Backward());
        Assert.Contains("backward through the graph a second time", e.Message);
        Assert.Contains("SumBackward1", e.Message);
    }

    [Fact]
    public void Backward_twice_with_retain_graph_accumulates()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var y = (x * 3).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(new float[] { 6, 6 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Grad_of_non_scalar_without_gradient_fails()
    {
        var x = Tensor.Ones([3], requiresGrad: true);
        var e = Assert.Throws<AutogradException>(() => (x * 2).Backward());
        Assert.Contains("shape [3]", e.Message);
    }

    [Fact]
    public void Backward_on_tensor_without_grad_fails()
    {
        Assert.Throws<AutogradException>(() => Tensor.Ones(3).Sum().Backward());
    }

    [Fact]
    public void In_place_change_of_saved_tensor_is_detected()
    {
        var x = Tensor.Ones([3], requiresGrad: true);
        var y = x.Exp();
        var z = (y * y).Sum();
        using (Autograd.NoGrad()) y.Add_(1);
        var e = Assert.Throws<AutogradException>(() => z.Backward());
        Assert.Contains("MulBackward0", e.Message);
        Assert.Contains("modified by an in-place operation", e.Message);
    }

    [Fact]
    public void In_place_on_leaf_requiring_grad_fails()
    {
        var w = Tensor.Ones([3], requiresGrad: true);
        Assert.Throws<AutogradException>(() => w.Mul_(2));
        using (Autograd.NoGrad()) w.Mul_(2);
        Assert.Equal(new float[] { 2, 2, 2 }, w.ToArray<float>());
    }

    [Fact]
    public void View_of_incompatible_strides_suggests_reshape()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(3, 4).T.View(12));
        Assert.Contains("Reshape", e.Message);
        Assert.Equal([12], Tensor.Zeros(3, 4).T.Reshape(12).Shape.ToArray());
    }

    [Fact]
    public void Index_out_of_bounds_names_dim_and_size()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3)[0, 3]);
        Assert.Contains("out of bounds for dim 1 with size 3", e.Message);
        Assert.Throws<ShapeException>(() => Tensor.Zeros(4).Gather(0, Tensor.From(new long[] { 4 })));
    }

    [Fact]
    public void Index_out_of_bounds_shows_the_index_as_written()
    {
        Assert.Contains("index -4 is out of bounds for dim 0 with size 3", Assert.Throws<ShapeException>(() => Tensor.Zeros(3)[-4]).Message);
        Assert.Contains("index ^4 is out of bounds for dim 0 with size 3", Assert.Throws<ShapeException>(() => Tensor.Zeros(3)[^4]).Message);
        Assert.Contains("index 3 is out of bounds for dim 1 with size 3", Assert.Throws<ShapeException>(() => Tensor.Zeros(2, 3)[0, 3]).Message);
    }

    [Fact]
    public void Detect_anomaly_names_the_op_that_made_a_nan()
    {
        var x = Tensor.From(new double[] { -1, 1 }).RequiresGrad_();
        using (Autograd.DetectAnomaly())
        {
            var e = Assert.Throws<AutogradException>(() => x.Sqrt());
            Assert.Contains("Sqrt", e.Message);
        }
    }
}
