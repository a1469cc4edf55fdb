namespace Nabla.Tests.Ops;

/// <summary>
/// Contiguous elementwise ops of 65,536 elements or more run in chunks on the worker pool. Each
/// element must come out as the single-row path computes it, at chunk borders and in the partial
/// last chunk, also for operands that start at a storage offset.
/// </summary>
public class ElementwiseChunkTests
{
    const int Count = 16384 * 5 + 123; // five full chunks and a partial one

    static float[] Values(int seed) => Tensor.Randn([Count], generator: new Generator(seed)).ToArray<float>();

    [Fact]
    public void Binary_ops_in_chunks_equal_elementwise_results()
    {
        float[] x = Values(1), y = Values(2);
        var a = Tensor.From(x);
        var b = Tensor.Cat([Tensor.Zeros(7), Tensor.From(y)]).Narrow(0, 7, Count); // contiguous, offset 7
        var sum = (a + b).ToArray<float>();
        var product = (a * b).ToArray<float>();
        var greater = a.Gt(b).ToArray<bool>();
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(x[i] + y[i], sum[i]);
            Assert.Equal(x[i] * y[i], product[i]);
            Assert.Equal(x[i] > y[i], greater[i]);
        }
    }

    [Fact]
    public void Unary_ops_in_chunks_equal_the_same_op_on_small_pieces()
    {
        var x = Tensor.Randn([Count], generator: new Generator(3));
        var whole = x.Sigmoid().ToArray<float>();
        var exp = x.Exp().ToArray<float>();
        for (int start = 0; start < Count; start += 1000)
        {
            int length = Math.Min(1000, Count - start);
            var piece = x.Narrow(0, start, length); // below the threshold: one row on one thread
            Assert.Equal(piece.Sigmoid().ToArray<float>(), whole.AsSpan(start, length).ToArray());
            Assert.Equal(piece.Exp().ToArray<float>(), exp.AsSpan(start, length).ToArray());
        }
    }

    [Fact]
    public void Large_sums_over_a_middle_dim_in_column_blocks_equal_the_serial_sums_exactly()
    {
        // [3, 40, 1100] summed over dim 1 (132k elements, 1100 = two full 512-column blocks and a partial one per
        // outer index): each column gets the same additions in the same order as the small per-slice sums below.
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.Randn([3, 40, 1100], dtype, new Generator(4));
            var whole = x.Sum([1]);
            for (int o = 0; o < 3; o++)
                for (int from = 0; from < 1100; from += 100)
                {
                    var piece = x[o, .., from..(from + 100)].Contiguous().Sum([0]); // 4,000 elements: the serial path
                    Assert.True(whole[o, from..(from + 100)].Equal(piece));
                }
        }
    }
}
