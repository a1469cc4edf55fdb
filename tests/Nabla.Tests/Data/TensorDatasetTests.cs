using Nabla.Data;

namespace Nabla.Tests.Data;

public class TensorDatasetTests
{
    [Fact]
    public void Item_is_the_row_of_every_tensor()
    {
        var x = Tensor.Arange(0, 12, dtype: DType.Float32).Reshape(4, 3);
        var y = Tensor.From(new long[] { 5, 6, 7, 8 });
        var dataset = new TensorDataset(x, y);

        Tensor[] sample = dataset[2];

        Assert.Equal(4, dataset.Count);
        Assert.Equal(2, sample.Length);
        Assert.Equal(new float[] { 6, 7, 8 }, sample[0].ToArray<float>());
        Assert.Equal(7L, sample[1].Item<long>());
        Assert.Equal(0, sample[1].Rank);
    }

    [Fact]
    public void GetBatch_gathers_rows_in_the_given_order()
    {
        var x = Tensor.Arange(0, 12, dtype: DType.Float32).Reshape(4, 3);
        var dataset = new TensorDataset(x);

        Tensor[] batch = dataset.GetBatch([3, 0, 3]);

        Assert.Equal([3, 3], batch[0].Shape.ToArray());
        Assert.Equal(new float[] { 9, 10, 11, 0, 1, 2, 9, 10, 11 }, batch[0].ToArray<float>());
    }

    [Fact]
    public void Mismatched_first_dimensions_are_rejected_with_shapes()
    {
        var exception = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(4, 3), Tensor.Zeros(5)));

        Assert.Contains("[4, 3]", exception.Message);
        Assert.Contains("[5]", exception.Message);
    }

    [Fact]
    public void Out_of_range_index_throws()
    {
        var dataset = new TensorDataset(Tensor.Zeros(4, 3));

        Assert.Throws<ArgumentOutOfRangeException>(() => dataset[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetBatch([0, 4]));
    }

    [Fact]
    public void GetBatch_equals_IndexSelect_for_every_layout()
    {
        var values = Tensor.Arange(0, 60, dtype: DType.Float32).Reshape(10, 6);
        int[] rows = [4, 0, 1, 4];
        var index = Tensor.From(new long[] { 4, 0, 1, 4 });
        Tensor[] layouts =
        [
            values,                                  // contiguous
            values.Narrow(0, 3, 5).Narrow(0, 0, 5),  // contiguous with an offset
            values.Reshape(10, 2, 3).Transpose(1, 2),// strided
            values.Clone().RequiresGrad_(),          // in the graph
            Tensor.Arange(10).To(DType.UInt8),
            Tensor.Arange(10) > 4,
        ];

        foreach (Tensor tensor in layouts)
        {
            Tensor batch = new TensorDataset(tensor).GetBatch(rows)[0];
            Tensor expected = tensor.IndexSelect(0, index);
            Assert.Equal(expected.Shape, batch.Shape);
            Assert.Equal(expected.DType, batch.DType);
            Assert.Equal(expected.ToArray<double>(), batch.ToArray<double>());
        }
        Assert.NotNull(new TensorDataset(layouts[3]).GetBatch(rows)[0].GradFn);
    }
}
