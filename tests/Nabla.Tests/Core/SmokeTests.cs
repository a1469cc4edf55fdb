namespace Nabla.Tests.Core;

public class AutogradBasicsTests
{
    [Fact]
    public void Mul_sum_backward_gives_the_other_operand()
    {
        var x = Tensor.From(new float[] { 1, 2, 3 }).RequiresGrad_();
        var w = Tensor.From(new float[] { 4, 5, 6 }).RequiresGrad_();
        var loss = (x * w).Sum();
        loss.Backward();
        Assert.Equal(32f, loss.Item<float>());
        Assert.Equal(new float[] { 4, 5, 6 }, x.Grad!.ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 3 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void Broadcast_add_reduces_gradient_to_input_shape()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        var b = Tensor.Ones([3], requiresGrad: true);
        ((x + b) * 2).Sum().Backward();
        Assert.Equal(new float[] { 4, 4, 4 }, b.Grad!.ToArray<float>());
        Assert.Equal([2, 3], x.Grad!.Shape.ToArray());
    }

    [Fact]
    public void Matmul_gradients_match_closed_form()
    {
        var a = Tensor.From(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3).RequiresGrad_();
        var b = Tensor.From(new double[] { 1, 0, 0, 1, 1, 1 }, 3, 2).RequiresGrad_();
        var c = a.MatMul(b);
        Assert.Equal(new double[] { 4, 5, 10, 11 }, c.ToArray<double>());
        c.Sum().Backward();
        Assert.Equal(new double[] { 1, 1, 2, 1, 1, 2 }, a.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 5, 5, 7, 7, 9, 9 }, b.Grad!.ToArray<double>());
    }

    [Fact]
    public void ToString_prints_like_pytorch()
    {
        var t = Tensor.From(new float[] { 1, 2.5f, 3, 4 }, 2, 2);
        Assert.Equal("tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])", t.ToString());
        Assert.Equal("tensor([1, 2, 3])", Tensor.Arange(1, 4).ToString());
        Assert.Equal("tensor([1., 2.], dtype=torch.float64, requires_grad=True)", Tensor.From(new double[] { 1, 2 }).RequiresGrad_().ToString());
    }

    [Fact]
    public void Hessian_of_cubic_classifies_stationary_points()
    {
        // f(x, y) = x³ − 3x + y²: stationary at (±1, 0); H = diag(6x, 2).
        Func<Tensor, Tensor> f = v => v[0].Pow(3) - 3 * v[0] + v[1].Pow(2);
        var h = Autograd.Hessian(f, Tensor.From(new double[] { 1, 0 }));
        Assert.Equal(new double[] { 6, 0, 0, 2 }, h.ToArray<double>());
        var h2 = Autograd.Hessian(f, Tensor.From(new double[] { -1, 0 }));
        Assert.Equal(new double[] { -6, 0, 0, 2 }, h2.ToArray<double>());
        // The eigenvalues of the Hessian classify the stationary points: all positive → minimum, mixed signs → saddle.
        var (atMinimum, _) = Linalg.EigH(h);
        var (atSaddle, _) = Linalg.EigH(h2);
        Assert.Equal(new double[] { 2, 6 }, atMinimum.ToArray<double>());
        Assert.Equal(new double[] { -6, 2 }, atSaddle.ToArray<double>());
        Assert.True(atMinimum.Gt(0).All().Item<bool>());
        Assert.True(atSaddle.Min().Item() < 0 && atSaddle.Max().Item() > 0);
    }
}
