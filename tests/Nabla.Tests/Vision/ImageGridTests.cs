using Nabla.Vision;

namespace Nabla.Tests.Vision;

/// <summary>The layout and captions of a grid of classified images.</summary>
public class ImageGridTests
{
    private static readonly string[] Names = ["zero", "one", "two", "three"];

    [Fact]
    public void Ten_images_in_four_columns_fill_three_rows_with_their_captions()
    {
        var images = Tensor.Rand(10, 1, 28, 28);
        int[] predicted = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1];
        int[] truth = [0, 1, 2, 0, 0, 3, 2, 3, 0, 1];

        var grid = ImageGrid.Create(images, predicted, truth, Names, columns: 4, scale: 3);

        Assert.Equal((4, 3), (grid.Columns, grid.Rows));
        // A cell: 4 px margin, 84 px image, 4 px margin; under it two 14-px caption lines.
        Assert.Equal((92, 120), (grid.CellWidth, grid.CellHeight));
        Assert.Equal((368, 360), (grid.Width, grid.Height));
        ImageGrid.Cell cell = grid.Cells[5]; // row 1, column 1
        Assert.Equal((96, 124, 212), (cell.ImageX, cell.ImageY, cell.CaptionY));
        Assert.Equal(("one", "three", true), (cell.Predicted, cell.Truth, cell.IsWrong));
        Assert.Equal(new[] { 3, 5 }, grid.Cells.Where(c => c.IsWrong).Select(c => c.Index));
        Assert.Equal(2, grid.WrongCount);
        Assert.All(grid.Cells, c => Assert.Equal(Names[predicted[c.Index]], c.Predicted));
        Assert.All(grid.Cells, c => Assert.Equal(Names[truth[c.Index]], c.Truth));
        Assert.Equal((4 + 92, 4 + 2 * 120), (grid.Cells[9].ImageX, grid.Cells[9].ImageY)); // row 2, column 1
    }

    [Fact]
    public void Pixels_are_the_images_in_bytes_and_fewer_images_than_columns_make_one_short_row()
    {
        var images = Tensor.From(new float[] { 0f, 0.5f, 1f, 2f, 0f, 1f, 1f, 0f }, 2, 2, 2);

        var grid = ImageGrid.Create(images, [1, 2], [1, 2], Names, columns: 8, scale: 1);

        Assert.Equal((2, 1), (grid.Columns, grid.Rows));
        Assert.Equal(new byte[] { 0, 128, 255, 255 }, grid.Pixels(0).ToArray()); // 2 clamps to 255
        Assert.Equal(new byte[] { 0, 255, 255, 0 }, grid.Pixels(1).ToArray());
        Assert.Equal(0, grid.WrongCount);
    }

    [Fact]
    public void Create_rejects_mismatched_counts_and_a_class_without_a_name()
    {
        var images = Tensor.Zeros(3, 1, 28, 28);

        var counts = Assert.Throws<ArgumentException>(() => ImageGrid.Create(images, [0, 1], [0, 1, 2], Names));
        var unnamed = Assert.Throws<ArgumentException>(() => ImageGrid.Create(images, [0, 1, 7], [0, 1, 2], Names));
        var shape = Assert.Throws<ArgumentException>(() => ImageGrid.Create(Tensor.Zeros(3, 3, 28, 28), [0, 1, 2], [0, 1, 2], Names));

        Assert.Contains("3 images (shape [3, 1, 28, 28]) need as many predictions and labels, got 2 and 3", counts.Message);
        Assert.Contains("predicted class 7 of image 2 has no name (4 classes)", unnamed.Message);
        Assert.Contains("[N, 1, H, W] or [N, H, W], got [3, 3, 28, 28]", shape.Message);
    }
}
