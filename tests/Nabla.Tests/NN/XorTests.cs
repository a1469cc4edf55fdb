using Nabla.NN;

namespace Nabla.Tests.NN;

public class XorTests
{
    [Fact]
    public void Mlp_learns_xor_with_plain_gradient_descent()
    {
        Generator.ManualSeed(0);
        var model = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 1));
        var criterion = new BCEWithLogitsLoss();
        var x = Tensor.From(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, 4, 2);
        var y = Tensor.From(new float[] { 0, 1, 1, 0 }, 4, 1);
        const double learningRate = 0.5;
        float loss = float.NaN;
        for (int step = 0; step < 300; step++)
        {
            model.ZeroGrad();
            var l = criterion.Call(model.Call(x), y);
            l.Backward();
            loss = l.Item<float>();
            using (Autograd.NoGrad())
                foreach (var p in model.Parameters()) p.Sub_(p.Grad!, learningRate); // θ ← θ − η∇θ
        }
        var predictions = model.Call(x).Gt(0).To(DType.Float32).ToArray<float>();
        Assert.Equal(new float[] { 0, 1, 1, 0 }, predictions);
        Assert.True(loss < 0.1, $"final loss {loss}");
    }
}
