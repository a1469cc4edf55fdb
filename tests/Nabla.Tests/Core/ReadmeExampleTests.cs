namespace Nabla.Tests.Core;

/// <summary>The README's first example runs and does what it says.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void Readme_linear_regression_example_computes_loss_and_gradients()
    {
        Generator.ManualSeed(0);
        var x = Tensor.Randn(64, 3);
        var trueW = Tensor.From(new float[] { 2, -3.4f, 1 }, 3, 1);
        var y = x.MatMul(trueW) + 4.2;

        var w = Tensor.Zeros([3, 1], requiresGrad: true);
        var b = Tensor.Zeros([1], requiresGrad: true);
        var loss = (x.MatMul(w) + b - y).Pow(2).Mean();
        loss.Backward();

        // With w = b = 0 the gradient is −2·mean(y·x) for w and −2·mean(y) for b.
        var expectedW = (x * y).Mean([0]).Mul(-2).Reshape(3, 1);
        Assert.True(w.Grad!.AllClose(expectedW, rtol: 1e-5, atol: 1e-5));
        Assert.True(b.Grad!.AllClose(y.Mean().Mul(-2).Reshape(1), rtol: 1e-5, atol: 1e-5));
        Assert.StartsWith("tensor(", loss.ToString());
        Assert.Contains("grad_fn=<DivBackward0>", loss.ToString());
    }
}
