namespace Nabla.Vision.Models;

/// <summary>Scales a layer's channel count by a model's width multiplier (at least one channel).</summary>
static class ModelWidth
{
    public static int Scale(int channels, double width)
    {
        if (!(width > 0)) throw new ArgumentException($"width multiplier must be positive, got {width}.", nameof(width));
        return Math.Max(1, (int)Math.Round(channels * width));
    }
}
