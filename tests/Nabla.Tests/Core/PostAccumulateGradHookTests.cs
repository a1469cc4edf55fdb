namespace Nabla.Tests.Core;

public sealed class PostAccumulateGradHookTests
{
    [Fact]
    public void Hook_sees_the_accumulated_gradient_once_per_backward()
    {
        var w = Tensor.From(new[] { 1.0, 2.0 }).RequiresGrad_();
        var seen = new List<double[]>();
        using var handle = w.RegisterPostAccumulateGradHook(t => seen.Add(t.Grad!.ToArray<double>()));
        // w is used twice: the engine sums both paths first, then accumulates once.
        ((w * 3).Sum() + (w * w).Sum()).Backward();
        (w * 10).Sum().Backward();
        Assert.Equal(2, seen.Count);
        Assert.Equal([5.0, 7.0], seen[0]);     // 3 + 2w
        Assert.Equal([15.0, 17.0], seen[1]);   // accumulated: + 10
    }

    [Fact]
    public void Removed_hook_is_not_called_and_Grad_queries_do_not_call_it()
    {
        var w = Tensor.From(new[] { 1.0 }).RequiresGrad_();
        int calls = 0;
        var handle = w.RegisterPostAccumulateGradHook(_ => calls++);
        Autograd.Grad((w * 2).Sum(), w);
        Assert.Equal(0, calls);
        (w * 2).Sum().Backward();
        Assert.Equal(1, calls);
        handle.Remove();
        (w * 2).Sum().Backward();
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Only_leaves_that_require_grad_take_the_hook()
    {
        var w = Tensor.From(new[] { 1.0 }).RequiresGrad_();
        var error = Assert.Throws<AutogradException>(() => (w * 2).RegisterPostAccumulateGradHook(_ => { }));
        Assert.Contains("produced by MulBackward0", error.Message);
        Assert.Throws<AutogradException>(() => Tensor.From(new[] { 1.0 }).RegisterPostAccumulateGradHook(_ => { }));
    }

    [Fact]
    public void A_callback_queued_by_a_hook_runs_after_every_gradient_is_accumulated()
    {
        var a = Tensor.From(new[] { 1.0 }).RequiresGrad_();
        var b = Tensor.From(new[] { 2.0 }).RequiresGrad_();
        double? gradientOfB = null;
        int callbacks = 0;
        // a's gradient arrives first (it is nearer the output); the callback must see b's too.
        a.RegisterPostAccumulateGradHook(_ => Engine.QueueCallback(() => { callbacks++; gradientOfB = b.Grad?.Item(); }));
        ((a * 3) + (b.Exp() * a)).Sum().Backward();
        Assert.Equal(1, callbacks);
        Assert.Equal(Math.Exp(2.0), gradientOfB!.Value, 12);
        Assert.Throws<InvalidOperationException>(() => Engine.QueueCallback(() => { }));
    }
}
