namespace Nabla.Tests.Core;

public class BatchedMatMulTests
{
    [Fact]
    public void Batched_matmul_computes_every_batch_entry()
    {
        // [2, 2, 2] · [2, 1]: each batch entry times the same column.
        var a = Tensor.From(new double[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 2, 2);
        var b = Tensor.From(new double[] { 1, 10 }, 2, 1);
        Assert.Equal(new double[] { 21, 43, 65, 87 }, a.MatMul(b).ToArray<double>());
        var c = Tensor.From(new double[] { 1, 0, 0, 1, 2, 0, 0, 2 }, 2, 2, 2);
        Assert.Equal(new double[] { 1, 2, 3, 4, 10, 12, 14, 16 }, a.Bmm(c).ToArray<double>());
    }
}
