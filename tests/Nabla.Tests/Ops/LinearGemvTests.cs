using Nabla.NN;

namespace Nabla.Tests.Ops;

/// <summary>Linear at batch 1 and 2 runs a matrix–vector kernel over the weight rows in place; it must equal the GEMM path.</summary>
public class LinearGemvTests
{
    [Theory]
    [InlineData(1, 784, 256, true, DType.Float32)]
    [InlineData(2, 37, 19, true, DType.Float32)]
    [InlineData(1, 5, 3, false, DType.Float32)]
    [InlineData(1, 300, 301, true, DType.Float64)]
    [InlineData(2, 9, 6, false, DType.Float64)]
    public void Batch_one_and_two_linear_equals_the_matmul_path(int batch, int inFeatures, int outFeatures, bool withBias, DType dtype)
    {
        var x = Tensor.Randn([batch, inFeatures], dtype, new Generator(1));
        var weight = Tensor.Randn([outFeatures, inFeatures], dtype, new Generator(2));
        var bias = withBias ? Tensor.Randn([outFeatures], dtype, new Generator(3)) : null;
        var expected = x.MatMul(weight.T);
        if (bias is not null) expected = expected + bias;
        var actual = Functional.Linear(x, weight, bias);
        Assert.True(actual.AllClose(expected, 1e-4, 1e-4), $"max difference {(actual - expected).Abs().Max().Item()}");
    }

    [Fact]
    public void Batch_one_linear_gradients_pass_gradcheck()
    {
        var x = Tensor.Randn([1, 7], DType.Float64, new Generator(4), requiresGrad: true);
        var weight = Tensor.Randn([5, 7], DType.Float64, new Generator(5), requiresGrad: true);
        var bias = Tensor.Randn([5], DType.Float64, new Generator(6), requiresGrad: true);
        Assert.True(Autograd.GradCheck(inputs => Functional.Linear(inputs[0], inputs[1], inputs[2]), [x, weight, bias]));
    }
}
