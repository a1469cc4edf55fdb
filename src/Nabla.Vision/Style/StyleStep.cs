namespace Nabla.Vision.Style;

/// <summary>The weighted losses of one step of <see cref="StyleTransfer.Run"/>, taken before the step's update.</summary>
/// <param name="Step">The step, from 1.</param>
/// <param name="Content">The content loss times its weight.</param>
/// <param name="Style">The style losses of all style layers, summed, times their weight.</param>
/// <param name="TotalVariation">The total-variation loss times its weight.</param>
/// <param name="LearningRate">Adam's learning rate in this step.</param>
public readonly record struct StyleStep(int Step, double Content, double Style, double TotalVariation, double LearningRate)
{
    /// <summary>The loss minimised: the sum of the three.</summary>
    public double Total => Content + Style + TotalVariation;
}
