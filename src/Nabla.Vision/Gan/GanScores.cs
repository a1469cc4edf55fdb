namespace Nabla.Vision.Gan;

/// <summary>What <see cref="GanEvaluation.Score"/> measures of a generator.</summary>
/// <param name="Samples">Images generated.</param>
/// <param name="TestImages">Real test images they are compared with.</param>
/// <param name="FrechetDistance">Fréchet distance between the classifier features of the generated and the test images.</param>
/// <param name="ClassHistogram">How many generated images the classifier puts in each class (the mode-collapse check).</param>
/// <param name="ClassAccuracy">Conditional GAN only: the share of the samples requested for each class that the classifier gives that class; null otherwise.</param>
public sealed record GanScores(int Samples, int TestImages, double FrechetDistance, int[] ClassHistogram, double[]? ClassAccuracy)
{
    /// <summary>The smallest class's share of the samples.</summary>
    public double SmallestClassShare => Samples == 0 ? 0 : (double)ClassHistogram.Min() / Samples;

    /// <summary>Conditional GAN: the mean of <see cref="ClassAccuracy"/>; null otherwise.</summary>
    public double? MeanClassAccuracy => ClassAccuracy?.Average();
}
