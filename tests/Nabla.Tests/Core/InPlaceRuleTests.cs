using Nabla.NN;

namespace Nabla.Tests.Core;

/// <summary>
/// PyTorch's one rule for in-place writes: outside no-grad mode a leaf that requires grad, or a view of
/// one, cannot be written in place, whichever op writes; under no-grad mode (initialisation, optimizer
/// steps) it can.
/// </summary>
public class InPlaceRuleTests
{
    public static TheoryData<string> Writes => ["Fill_", "Zero_", "Uniform_", "Normal_", "Add_", "Copy_", "Relu_", "Clamp_", "MaskedFill_", "IndexSet", "MaskIndexSet"];

    private static void Write(Tensor t, string op)
    {
        switch (op)
        {
            case "Fill_": t.Fill_(5); break;
            case "Zero_": t.Zero_(); break;
            case "Uniform_": t.Uniform_(); break;
            case "Normal_": t.Normal_(); break;
            case "Add_": t.Add_(1); break;
            case "Copy_": t.Copy_(Tensor.Full([3], 5)); break;
            case "Relu_": t.Relu_(); break;
            case "Clamp_": t.Clamp_(0, 0.5); break;
            case "MaskedFill_": t.MaskedFill_(Tensor.From(new[] { true, false, true }), 5); break;
            case "IndexSet": t[0] = Tensor.Full([], 5); break;
            case "MaskIndexSet": t[Tensor.From(new[] { true, false, true })] = Tensor.Full([], 5); break;
            default: throw new ArgumentException(op);
        }
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public void Every_in_place_write_to_a_leaf_that_requires_grad_fails_and_leaves_it_unchanged(string op)
    {
        var w = Tensor.Ones([3], requiresGrad: true);

        var e = Assert.Throws<AutogradException>(() => Write(w, op));

        Assert.Contains("leaf tensor that requires grad", e.Message);
        Assert.Contains("Autograd.NoGrad()", e.Message);
        Assert.Equal(new float[] { 1, 1, 1 }, w.ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public void Every_in_place_write_to_a_leaf_that_requires_grad_works_under_no_grad(string op)
    {
        var w = Tensor.Ones([3], requiresGrad: true);
        int version = w.storage.Version;

        using (Autograd.NoGrad()) Write(w, op);

        Assert.True(w.storage.Version > version, $"{op} bumps the version");
        Assert.True(w.IsLeaf);
    }

    [Fact]
    public void Writing_through_a_view_of_a_leaf_that_requires_grad_fails_as_PyTorch_does()
    {
        var w = Tensor.Ones([2, 3], requiresGrad: true);

        Assert.Contains("view of a leaf tensor that requires grad (shape [2, 3])",
            Assert.Throws<AutogradException>(() => w[0].Add_(1)).Message);
        Assert.Throws<AutogradException>(() => w[1].Fill_(0));
        Assert.Throws<AutogradException>(() => w.T.Zero_());
        Assert.Throws<AutogradException>(() => w.View(6)[..2].Uniform_());
        // A view made under no-grad is a view all the same.
        Tensor view;
        using (Autograd.NoGrad()) view = w[0];
        Assert.Throws<AutogradException>(() => view.Mul_(2));
        Assert.Equal(Enumerable.Repeat(1f, 6), w.ToArray<float>());

        using (Autograd.NoGrad()) w[0].Add_(1);
        Assert.Equal(new float[] { 2, 2, 2, 1, 1, 1 }, w.ToArray<float>());
    }

    [Fact]
    public void Tensors_that_do_not_require_grad_and_detached_views_are_written_freely()
    {
        var x = Tensor.Ones(2, 3);
        x[0].Fill_(4);
        x.Zero_();
        var w = Tensor.Ones([3], requiresGrad: true);
        w.Detach().Fill_(7);

        Assert.Equal(new float[] { 7, 7, 7 }, w.ToArray<float>());
        Assert.Equal(new float[6], x.ToArray<float>());
    }

    [Fact]
    public void Fill_on_an_intermediate_result_cuts_the_gradient_through_it()
    {
        // PyTorch: x = w * 2; x.fill_(3); (x * w).sum().backward() gives w.grad = 3, the fill's value.
        var w = Tensor.Ones([3], requiresGrad: true);
        var x = w * 2;
        x.Fill_(3);
        (x * w).Sum().Backward();

        Assert.Equal(new float[] { 3, 3, 3 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void Assigning_through_a_mask_into_a_graph_is_refused_instead_of_losing_the_gradient()
    {
        var w = Tensor.Ones([3], requiresGrad: true);
        var x = w * 2;
        var mask = Tensor.From(new[] { true, false, true });

        Assert.Contains("not differentiable", Assert.Throws<AutogradException>(() => x[mask] = Tensor.Full([], 5)).Message);
        Assert.Throws<AutogradException>(() => Tensor.Zeros(3)[mask] = w[..2]);
        var y = Tensor.Zeros(3);
        y[mask] = Tensor.Full([], 5);
        Assert.Equal(new float[] { 5, 0, 5 }, y.ToArray<float>());
    }

    [Fact]
    public void Init_functions_still_initialise_parameters_that_require_grad()
    {
        var linear = new Linear(4, 3);
        Init.Constant_(linear.Weight, 0.5);
        Init.Uniform_(linear.Bias!, -1, 1);
        Init.XavierUniform_(linear.Weight);
        Init.TruncNormal_(linear.Weight);
        Init.Zeros_(linear.Bias!);

        Assert.True(linear.Weight.RequiresGrad);
        Assert.Equal(new float[3], linear.Bias!.ToArray<float>());
    }
}
