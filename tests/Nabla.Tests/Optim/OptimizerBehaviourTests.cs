using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>State dicts, ZeroGrad, skipped parameters, parameter groups and argument checks.</summary>
public class OptimizerBehaviourTests
{
    static Tensor[] Clone(Tensor[] parameters) => [.. parameters.Select(p => p.Detach().Clone().RequiresGrad_())];

    [Theory]
    [InlineData("sgd_nesterov")]
    [InlineData("sgd_two_groups")]
    [InlineData("adam_amsgrad")]
    [InlineData("adam_skips_missing_grads")]
    [InlineData("adamw_weight_decay_amsgrad")]
    [InlineData("adagrad_lr_decay")]
    [InlineData("rmsprop_centered_momentum_weight_decay")]
    [InlineData("adadelta_two_groups")]
    public void State_dict_round_trip_continues_bit_identically(string name)
    {
        var c = OptimFixtures.Case("optimizers", name);
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(OptimFixtures.Ints).ToArray();
        string kind = c.GetProperty("optimizer").GetString()!;

        // Five steps straight.
        var straight = OptimFixtures.Parameters(c);
        var optimizer = OptimFixtures.Optimizer(kind, OptimFixtures.Groups(c, straight), c.GetProperty("defaults"));
        for (int t = 0; t < 5; t++)
        {
            optimizer.ZeroGrad();
            OptimizerFixtureTests.SetGradients(c, t, straight, shapes);
            optimizer.Step();
        }

        // Three steps, save, a new optimizer over copies of the parameters, load, two more steps.
        var first = OptimFixtures.Parameters(c);
        var before = OptimFixtures.Optimizer(kind, OptimFixtures.Groups(c, first), c.GetProperty("defaults"));
        for (int t = 0; t < 3; t++)
        {
            before.ZeroGrad();
            OptimizerFixtureTests.SetGradients(c, t, first, shapes);
            before.Step();
        }
        var saved = before.StateDict();
        var resumedParameters = Clone(first);
        // A different lr in the new optimizer: loading must restore the saved hyper-parameters.
        var resumed = OptimFixtures.Optimizer(kind, OptimFixtures.Groups(c, resumedParameters), c.GetProperty("defaults"));
        foreach (var group in resumed.ParamGroups) group.Lr = 123.0;
        resumed.LoadStateDict(saved);
        for (int t = 3; t < 5; t++)
        {
            resumed.ZeroGrad();
            OptimizerFixtureTests.SetGradients(c, t, resumedParameters, shapes);
            resumed.Step();
        }

        for (int i = 0; i < straight.Length; i++)
            Assert.Equal(straight[i].ToArray<float>(), resumedParameters[i].ToArray<float>());
        Assert.Equal(optimizer.StateDict().Values, resumed.StateDict().Values);
    }

    [Fact]
    public void State_dict_uses_pytorch_layout_with_flat_keys_and_json_values()
    {
        var a = Tensor.Zeros([2], requiresGrad: true);
        var b = Tensor.Zeros([3], requiresGrad: true);
        var c = Tensor.Zeros([1], requiresGrad: true);
        var adam = new Adam([new ParamGroup([a, b]), new ParamGroup([c], new() { ["lr"] = 0.1 })], lr: 0.01);
        a.Grad = Tensor.Ones([2]);
        c.Grad = Tensor.Ones([1]);
        adam.Step();

        var state = adam.StateDict();
        Assert.Equal(["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.2.step", "state.2.exp_avg", "state.2.exp_avg_sq"], state.Tensors.Keys);
        Assert.Equal(1f, state.Tensors["state.2.step"].Item<float>());
        Assert.Equal("0.01", state.Values["param_groups.0.lr"]);
        Assert.Equal("0.1", state.Values["param_groups.1.lr"]);
        Assert.Equal("[0.9,0.999]", state.Values["param_groups.0.betas"]);
        Assert.Equal("false", state.Values["param_groups.0.amsgrad"]);
        Assert.Equal("[0,1]", state.Values["param_groups.0.params"]);
        Assert.Equal("[2]", state.Values["param_groups.1.params"]);
        // The saved tensors are copies: stepping again does not change them.
        adam.Step();
        Assert.Equal(1f, state.Tensors["state.2.step"].Item<float>());
    }

    [Fact]
    public void LoadStateDict_rejects_a_different_group_layout()
    {
        var a = Tensor.Zeros([2], requiresGrad: true);
        var b = Tensor.Zeros([2], requiresGrad: true);
        var saved = new SGD([new ParamGroup([a]), new ParamGroup([b])], lr: 0.1).StateDict();
        var error = Assert.Throws<ArgumentException>(() => new SGD([a, b], lr: 0.1).LoadStateDict(saved));
        Assert.Contains("SGD", error.Message);
        Assert.Contains("2 parameter groups", error.Message);
    }

    [Fact]
    public void ZeroGrad_sets_gradients_to_null_or_to_zero()
    {
        var p = Tensor.Ones([3], requiresGrad: true);
        var sgd = new SGD([p], lr: 0.1);
        (p * p).Sum().Backward();
        Assert.NotNull(p.Grad);
        sgd.ZeroGrad();
        Assert.Null(p.Grad);

        (p * p).Sum().Backward();
        var grad = p.Grad!;
        sgd.ZeroGrad(setToNone: false);
        Assert.Same(grad, p.Grad);
        Assert.Equal(new float[] { 0, 0, 0 }, p.Grad!.ToArray<float>());
    }

    [Fact]
    public void Parameters_without_gradient_are_skipped_and_get_no_state()
    {
        var withGrad = Tensor.Ones([2], requiresGrad: true);
        var without = Tensor.Ones([2], requiresGrad: true);
        var adam = new Adam([withGrad, without], lr: 0.1);
        withGrad.Grad = Tensor.Ones([2]);
        adam.Step();
        Assert.Equal(new float[] { 1, 1 }, without.ToArray<float>());
        Assert.False(adam.State.ContainsKey(without));
        Assert.True(adam.State.ContainsKey(withGrad));
        // Adam's first step moves by lr·sign(g) (up to ε).
        OptimFixtures.AssertClose([0.9f, 0.9f], withGrad.ToArray<float>(), "updated parameter");
    }

    [Fact]
    public void Step_rejects_a_gradient_of_the_wrong_shape()
    {
        var p = Tensor.Ones([2, 2], requiresGrad: true);
        var adam = new Adam([p]);
        p.Grad = Tensor.Ones([4]);
        var error = Assert.Throws<ShapeException>(() => adam.Step());
        Assert.Contains("Adam.Step", error.Message);
        Assert.Contains("[4]", error.Message);
    }

    [Fact]
    public void Step_updates_in_place_without_recording_history()
    {
        var p = Tensor.Ones([2], requiresGrad: true);
        var sgd = new SGD([p], lr: 0.5, momentum: 0.9);
        p.Grad = Tensor.Ones([2]);
        sgd.Step();
        Assert.True(p.IsLeaf);
        Assert.True(p.RequiresGrad);
        Assert.Equal(new float[] { 0.5f, 0.5f }, p.ToArray<float>());
    }

    [Fact]
    public void Step_with_closure_evaluates_the_loss_and_returns_it()
    {
        var p = Tensor.From(new float[] { 3 }).RequiresGrad_();
        var sgd = new SGD([p], lr: 0.25);
        var loss = sgd.Step(() =>
        {
            sgd.ZeroGrad();
            var l = (p * p).Sum();
            l.Backward();
            return l;
        });
        Assert.Equal(9f, loss.Item<float>());
        Assert.Equal(1.5f, p.Item<float>()); // 3 − 0.25·6
    }

    [Fact]
    public void AddParamGroup_fills_defaults_and_rejects_duplicates()
    {
        var a = Tensor.Zeros([2], requiresGrad: true);
        var b = Tensor.Zeros([2], requiresGrad: true);
        var sgd = new SGD([a], lr: 0.1, momentum: 0.9);
        sgd.AddParamGroup(new ParamGroup([b], new Dictionary<string, object> { ["lr"] = 0.01 }));
        Assert.Equal(2, sgd.ParamGroups.Count);
        Assert.Equal(0.01, sgd.ParamGroups[1].Lr);
        Assert.Equal(0.9, sgd.ParamGroups[1].GetDouble("momentum"));
        var error = Assert.Throws<ArgumentException>(() => sgd.AddParamGroup(new ParamGroup([a])));
        Assert.Contains("more than one parameter group", error.Message);
    }

    [Fact]
    public void Constructor_rejects_empty_and_non_leaf_parameters()
    {
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<Tensor>())).Message);
        var leaf = Tensor.Ones([2], requiresGrad: true);
        Assert.Contains("non-leaf", Assert.Throws<ArgumentException>(() => new Adam([leaf * 2])).Message);
    }

    public static TheoryData<string, string, Func<Tensor[], Optimizer>> InvalidArguments => new()
    {
        { "SGD", "lr", ps => new SGD(ps, lr: -0.1) },
        { "SGD", "momentum", ps => new SGD(ps, lr: 0.1, momentum: -0.5) },
        { "SGD", "weightDecay", ps => new SGD(ps, lr: 0.1, weightDecay: -1) },
        { "SGD", "nesterov", ps => new SGD(ps, lr: 0.1, nesterov: true) },
        { "SGD", "nesterov", ps => new SGD(ps, lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true) },
        { "Adam", "lr", ps => new Adam(ps, lr: -1e-3) },
        { "Adam", "betas", ps => new Adam(ps, betas: (1.0, 0.999)) },
        { "Adam", "betas", ps => new Adam(ps, betas: (0.9, -0.1)) },
        { "Adam", "eps", ps => new Adam(ps, eps: -1e-8) },
        { "Adam", "weightDecay", ps => new Adam(ps, weightDecay: -0.1) },
        { "AdamW", "betas", ps => new AdamW(ps, betas: (0.9, 1.5)) },
        { "AdamW", "lr", ps => new AdamW(ps, lr: double.NaN) },
        { "Adagrad", "lrDecay", ps => new Adagrad(ps, lrDecay: -0.1) },
        { "Adagrad", "initialAccumulatorValue", ps => new Adagrad(ps, initialAccumulatorValue: -1) },
        { "RMSprop", "alpha", ps => new RMSprop(ps, alpha: -0.5) },
        { "RMSprop", "momentum", ps => new RMSprop(ps, momentum: -0.1) },
        { "Adadelta", "rho", ps => new Adadelta(ps, rho: 1.5) },
        { "Adadelta", "eps", ps => new Adadelta(ps, eps: -1) },
    };

    [Theory]
    [MemberData(nameof(InvalidArguments))]
    public void Invalid_hyper_parameters_name_the_optimizer_and_the_argument(string optimizer, string argument, Func<Tensor[], Optimizer> create)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => create([Tensor.Zeros([2], requiresGrad: true)]));
        Assert.StartsWith(optimizer + ":", error.Message);
        Assert.Equal(argument, error.ParamName);
        Assert.Contains(argument, error.Message);
    }

    [Fact]
    public void Invalid_group_hyper_parameter_is_reported_when_the_group_is_added()
    {
        var sgd = new SGD([Tensor.Zeros([2], requiresGrad: true)], lr: 0.1);
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            sgd.AddParamGroup(new ParamGroup([Tensor.Zeros([2], requiresGrad: true)], new Dictionary<string, object> { ["lr"] = -1.0 })));
        Assert.StartsWith("SGD:", error.Message);
        Assert.Equal("lr", error.ParamName);
    }

    [Fact]
    public void Adam_fits_a_linear_regression()
    {
        // y = 2x − 1 on 16 points; Adam with lr 0.1 drives the squared error near zero.
        var x = Tensor.Linspace(-1, 1, 16);
        var y = x * 2.0 - 1.0;
        var w = Tensor.Zeros([1], requiresGrad: true);
        var b = Tensor.Zeros([1], requiresGrad: true);
        var adam = new Adam([w, b], lr: 0.1);
        var scheduler = new StepLR(adam, stepSize: 100, gamma: 0.5);
        for (int i = 0; i < 300; i++)
        {
            adam.ZeroGrad();
            ((x * w + b - y).Pow(2)).Mean().Backward();
            adam.Step();
            scheduler.Step();
        }
        Assert.Equal(2.0, w.Item(), 2);
        Assert.Equal(-1.0, b.Item(), 2);
        Assert.Equal(0.0125, scheduler.GetLastLr()[0], 12); // halved at steps 100, 200 and 300
    }
}
