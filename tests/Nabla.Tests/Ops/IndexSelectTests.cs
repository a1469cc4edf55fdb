namespace Nabla.Tests.Ops;

/// <summary>
/// IndexSelect of a contiguous tensor with slices of 16 or more elements copies whole slices (the
/// minibatch path); it must equal the element-wise gather taken for any other layout.
/// </summary>
public class IndexSelectTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-2)]
    public void Slice_copies_equal_the_elementwise_gather(int dim)
    {
        var x = Tensor.Randn([5, 4, 20], generator: new Generator(1));
        var index = Tensor.From(new long[] { 3, 0, 3, 1 });
        var strided = x.Transpose(0, 2).Contiguous().Transpose(0, 2); // same values, not contiguous: the gather path
        Assert.False(strided.IsContiguous);
        Assert.Equal(strided.IndexSelect(dim, index).ToArray<float>(), x.IndexSelect(dim, index).ToArray<float>());
    }

    [Fact]
    public void Slice_copies_of_an_offset_view_and_their_gradient()
    {
        var x = Tensor.Randn([6, 32], dtype: DType.Float64, generator: new Generator(2)).RequiresGrad_();
        var rows = x.Narrow(0, 2, 4); // contiguous with a storage offset
        var picked = rows.IndexSelect(0, Tensor.From(new long[] { 3, 3, 0 }));
        Assert.Equal(x.Detach()[5].ToArray<double>(), picked[0].ToArray<double>());
        Assert.Equal(x.Detach()[2].ToArray<double>(), picked[2].ToArray<double>());
        picked.Sum().Backward();
        Assert.Equal(2.0, x.Grad![5, 0].Item<double>());
        Assert.Equal(0.0, x.Grad![3, 0].Item<double>());
    }

    [Theory]
    [InlineData(0, 400)]
    [InlineData(1, 300)]
    public void A_large_selection_copied_in_pieces_across_threads_equals_the_elementwise_gather(int dim, int picks)
    {
        // Slices of 100 floats, 120–160 KB selected: large enough for the worker pool to copy it in pieces.
        // dim 1 has 2 outer slices; the source is an offset view (contiguous, storage offset 4,000).
        var source = dim == 0
            ? Tensor.Randn([61, 100], generator: new Generator(3)).Narrow(0, 1, 60)
            : Tensor.Randn([3, 40, 100], generator: new Generator(3)).Narrow(0, 1, 2);
        Assert.True(source.IsContiguous);
        var index = Tensor.RandInt(0, source.Size(dim), [picks], generator: new Generator(4));
        var strided = source.Transpose(0, -1).Contiguous().Transpose(0, -1); // same values, not contiguous: the gather path
        Assert.False(strided.IsContiguous);
        Assert.Equal(strided.IndexSelect(dim, index).ToArray<float>(), source.IndexSelect(dim, index).ToArray<float>());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-1)]
    public void An_index_out_of_range_names_the_op_and_the_size(long bad)
    {
        var x = Tensor.Zeros(4, 16);
        var error = Assert.Throws<ShapeException>(() => x.IndexSelect(0, Tensor.From(new long[] { 0, bad })));
        Assert.Contains("IndexSelect", error.Message);
        Assert.Contains("size 4", error.Message);
    }
}
