namespace Nabla.Tests.Core;

/// <summary>ToString() matches PyTorch 1.13's repr (expected strings printed by torch).</summary>
public class FormatTests
{
    [Fact]
    public void Large_float_tensor_is_summarized_and_wrapped_like_pytorch() => Assert.Equal(
        "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9700e+02, 9.9800e+02,\n         9.9900e+02],\n" +
        "        [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])",
        Tensor.Arange(0, 2000, 1, DType.Float32).Reshape(2, 1000).ToString());

    [Fact]
    public void Large_int_tensor_is_summarized_like_pytorch() => Assert.Equal(
        "tensor([[   0,    1,    2,  ...,  397,  398,  399],\n        [ 400,  401,  402,  ...,  797,  798,  799],\n        [ 800,  801,  802,  ..., 1197, 1198, 1199]])",
        Tensor.Arange(1200).Reshape(3, 400).ToString());

    [Theory]
    [InlineData("sci", "tensor([1.0000e-05, 1.0000e+00, 1.2300e+02])")]
    [InlineData("f64", "tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.0000]], dtype=torch.float64)")]
    [InlineData("bool", "tensor([ True, False])")]
    [InlineData("int32", "tensor([0, 1, 2], dtype=torch.int32)")]
    [InlineData("empty", "tensor([], size=(0, 3))")]
    [InlineData("scalar", "tensor(3.5000)")]
    [InlineData("nonfinite", "tensor([   nan, 1.5000,    inf])")]
    [InlineData("big", "tensor([1.0000e+10, 1.0000e+00])")]
    [InlineData("grad_fn", "tensor([2., 2.], grad_fn=<MulBackward0>)")]
    [InlineData("3d", "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])")]
    public void Small_tensors_print_like_pytorch(string name, string expected)
    {
        var t = name switch
        {
            "sci" => Tensor.From(new float[] { 1e-5f, 1, 123 }),
            "f64" => Tensor.From(new double[] { 1.5, -2.25, 3, 4 }, 2, 2),
            "bool" => Tensor.From(new[] { true, false }),
            "int32" => Tensor.Arange(0, 3, 1, DType.Int32),
            "empty" => Tensor.Zeros(0, 3),
            "scalar" => Tensor.From(3.5f),
            "nonfinite" => Tensor.From(new[] { float.NaN, 1.5f, float.PositiveInfinity }),
            "big" => Tensor.From(new[] { 1e10f, 1f }),
            "grad_fn" => Tensor.Ones([2], requiresGrad: true) * 2,
            _ => Tensor.Arange(0, 8, 1, DType.Float32).Reshape(2, 2, 2),
        };
        Assert.Equal(expected, t.ToString());
    }
}
