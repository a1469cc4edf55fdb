using Nabla.NN;
using Nabla.Vision.Models;

namespace Nabla.Tests.NN;

public class ModelSummaryTests
{
    // The course's LeNet: Conv(1→6, 5, pad 2), Sigmoid, AvgPool 2, Conv(6→16, 5), Sigmoid, AvgPool 2,
    // Flatten, Linear 400→120, Sigmoid, Linear 120→84, Sigmoid, Linear 84→10.
    static Sequential LeNet() => new(
        new Conv2d(1, 6, 5, padding: 2), new Sigmoid(), new AvgPool2d(2, stride: 2),
        new Conv2d(6, 16, 5), new Sigmoid(), new AvgPool2d(2, stride: 2),
        new Flatten(),
        new Linear(400, 120), new Sigmoid(),
        new Linear(120, 84), new Sigmoid(),
        new Linear(84, 10));

    [Fact]
    public void Summary_of_LeNet_gives_hand_computed_shapes_parameters_and_MACs()
    {
        var summary = ModelSummary.Summary(LeNet(), 1, 1, 28, 28);
        Assert.Equal(12, summary.Rows.Count);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"], summary.Rows.Select(r => r.Name));
        Assert.Equal([1, 6, 28, 28], summary.Rows[0].OutputShape!);
        Assert.Equal([1, 6, 14, 14], summary.Rows[2].OutputShape!);
        Assert.Equal([1, 16, 10, 10], summary.Rows[3].OutputShape!);
        Assert.Equal([1, 16, 5, 5], summary.Rows[5].OutputShape!);
        Assert.Equal([1, 400], summary.Rows[6].OutputShape!);
        Assert.Equal([1, 10], summary.OutputShape);

        // Parameters: 6·1·25 + 6 = 156; 16·6·25 + 16 = 2,416; 400·120 + 120 = 48,120; 120·84 + 84 = 10,164; 84·10 + 10 = 850.
        long[] parameters = [156, 0, 0, 2416, 0, 0, 0, 48120, 0, 10164, 0, 850];
        Assert.Equal(parameters, summary.Rows.Select(r => r.Parameters));
        Assert.Equal(61706, summary.TotalParameters);
        Assert.Equal(61706, summary.TrainableParameters);

        // MACs: 6·28·28·1·25 = 117,600; 16·10·10·6·25 = 240,000; 400·120 = 48,000; 120·84 = 10,080; 84·10 = 840.
        long[] macs = [117600, 0, 0, 240000, 0, 0, 0, 48000, 0, 10080, 0, 840];
        Assert.Equal(macs, summary.Rows.Select(r => r.MultiplyAccumulates));
        Assert.Equal(416520, summary.TotalMultiplyAccumulates);

        var text = summary.ToString();
        Assert.Contains("0 (Conv2d)", text, StringComparison.Ordinal);
        Assert.Contains("[1, 6, 28, 28]", text, StringComparison.Ordinal);
        Assert.Contains("Total params: 61,706", text, StringComparison.Ordinal);
        Assert.Contains("Total MACs: 416,520", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_counts_batch_groups_frozen_parameters_and_restores_training_mode()
    {
        var model = new Sequential(new Conv2d(4, 8, 3, padding: 1, groups: 2, bias: false), new Flatten(), new Linear(8 * 5 * 5, 3));
        model[2].RequiresGrad(false);
        model.Train();
        var summary = ModelSummary.Summary(model, 2, 4, 5, 5);
        Assert.True(model.Training);
        // Grouped conv: 2 samples · 8·5·5 outputs · (4/2)·3·3 = 7,200; linear: 2 rows · 200 · 3 = 1,200.
        Assert.Equal([7200L, 0, 1200], summary.Rows.Select(r => r.MultiplyAccumulates));
        Assert.Equal(8 * 2 * 9 + 200 * 3 + 3, summary.TotalParameters);
        Assert.Equal(8 * 2 * 9, summary.TrainableParameters);
    }

    [Fact]
    public void Summary_of_ResNet18_totals_match_its_parameters()
    {
        var model = ResNet.ResNet18(width: 1.0 / 16);
        var summary = ModelSummary.Summary(model, 1, 1, 32, 32);
        Assert.Equal(model.Parameters().Sum(p => p.Shape.NumElements), summary.TotalParameters);
        Assert.Equal(summary.TotalParameters, summary.Rows.Sum(r => r.Parameters));
        Assert.Equal("conv1", summary.Rows[0].Name);
        Assert.Equal([1, 10], summary.OutputShape);
    }
    [Fact]
    public void Summary_gives_each_layers_receptive_field_and_jump_as_the_course_computes_them()
    {
        // LeNet: conv 5 → r 5, j 1; pool 2/2 → r 5 + 1·1 = 6, j 2; conv 5 → 6 + 4·2 = 14; pool 2/2 → 14 + 1·2 = 16, j 4; Flatten: none.
        var summary = ModelSummary.Summary(LeNet(), 1, 1, 28, 28);
        Assert.Equal(new double?[] { 5, 5, 6, 14, 14, 16, null }, summary.Rows.Take(7).Select(r => r.ReceptiveField?.Size[0]));
        Assert.Equal(new double?[] { 1, 1, 2, 2, 2, 4, null }, summary.Rows.Take(7).Select(r => r.ReceptiveField?.Jump[1]));

        // The course's AlexNet: 11/4 → 11, 4; pool 3/2 → 19, 8; conv 5 → 51; pool → 67, 16; three conv 3 → 99, 131, 163; pool → 195, 32.
        var alexnet = ModelSummary.Summary(new AlexNet(width: 1.0 / 32), 1, 1, 224, 224);
        var convsAndPools = alexnet.Rows.Where(r => r.Type is "Conv2d" or "MaxPool2d" or "AdaptiveAvgPool2d").Select(r => (r.ReceptiveField!.Size[0], r.ReceptiveField.Jump[0]));
        Assert.Equal([(11.0, 4.0), (19, 8), (51, 8), (67, 16), (99, 16), (131, 16), (163, 16), (195, 32), (195, 32)], convsAndPools);

        // Rectangular, dilated and transposed: 3×1 dilation 2 → 5×1; a stride-2 transposed conv halves the jump.
        var mixed = ModelSummary.Summary(new Sequential(new Conv2d(1, 1, (3, 1), stride: 2, dilation: 2), new ConvTranspose2d(1, 1, 4, stride: 2, padding: 1)), 1, 1, 9, 9);
        Assert.Equal("5×1", mixed.Rows[0].ReceptiveField!.FormatSize());
        Assert.Equal("2", mixed.Rows[0].ReceptiveField!.FormatJump());
        Assert.Equal("8×4", mixed.Rows[1].ReceptiveField!.FormatSize()); // 5 + 3·1 = 8, 1 + 3·1 = 4
        Assert.Equal("1", mixed.Rows[1].ReceptiveField!.FormatJump());
        var text = mixed.ToString();
        Assert.Contains("RF", text, StringComparison.Ordinal);
        Assert.Contains("Jump", text, StringComparison.Ordinal);
        Assert.Contains("5×1", text, StringComparison.Ordinal);
    }
}
