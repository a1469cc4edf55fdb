namespace Nabla.Tests.Ops;

/// <summary>Weight gradients are reductions over the batch: they must not depend on thread scheduling.</summary>
[Collection(Nabla.Tests.Backends.ExclusiveWorkerPoolCollection.Name)]
public class ConvolutionDeterminismTests
{
    [Theory]
    [InlineData(6, 16, 5, 0)]   // LeNet's second layer: im2col + GEMM / RowDot path
    [InlineData(16, 16, 3, 1)]  // 3×3 stride 1, 16 channels: the Winograd path where AVX-512 exists
    public void Conv2d_weight_gradient_is_bit_identical_across_runs(int inChannels, int outChannels, int kernel, int padding)
    {
        var generator = new Generator(5);
        var input = Tensor.Randn([64, inChannels, 14, 14], generator: generator);
        var gradOutput = Tensor.Randn([64, outChannels, 14 - kernel + 1 + 2 * padding, 14 - kernel + 1 + 2 * padding], generator: generator);
        float[]? first = null;
        for (int run = 0; run < 20; run++)
        {
            var weight = Tensor.Randn([outChannels, inChannels, kernel, kernel], generator: new Generator(6)).RequiresGrad_();
            Tensor.Conv2d(input, weight, null, 1, padding).Backward(gradOutput);
            var bits = weight.Grad!.ToArray<float>();
            if (first == null) first = bits;
            else Assert.Equal(first, bits);
        }
    }
}
