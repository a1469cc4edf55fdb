using Nabla.NN;

namespace Nabla.Tests.NN;

public class ModuleTests
{
    sealed class TwoLayer : Module<Tensor, Tensor>
    {
        public Linear Hidden = new(3, 4);
        readonly Linear _outputLayer = new(4, 2);
        public Parameter ScaleFactor = new(Tensor.Ones([2]));
        [Buffer] public Tensor StepCount = Tensor.Zeros([1]);
        [Buffer(Persistent = false)] public Tensor Scratch = Tensor.Zeros([1]);
        public Tensor NotABuffer = Tensor.Zeros([1]);

        public override Tensor Forward(Tensor input) => _outputLayer.Call(Functional.Relu(Hidden.Call(input))) * ScaleFactor;
    }

    static Sequential Mlp() => new(new Linear(2, 8), new ReLU(), new Linear(8, 1));

    [Fact]
    public void Sequential_names_parameters_by_position()
    {
        var names = Mlp().NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], names);
    }

    [Fact]
    public void Fields_register_in_declaration_order_with_snake_case_names()
    {
        var model = new TwoLayer();
        Assert.Equal(["scale_factor", "hidden.weight", "hidden.bias", "output_layer.weight", "output_layer.bias"],
            model.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(["step_count", "scratch"], model.NamedBuffers().Select(b => b.Name).ToArray());
        Assert.Equal(["hidden", "output_layer"], model.NamedChildren().Select(c => c.Name).ToArray());
        Assert.Equal(["scale_factor", "step_count", "hidden.weight", "hidden.bias", "output_layer.weight", "output_layer.bias"],
            model.StateDict().Keys.ToArray());
    }

    [Theory]
    [InlineData("runningMean", "running_mean")]
    [InlineData("_runningMean", "running_mean")]
    [InlineData("RunningMean", "running_mean")]
    [InlineData("QKVProj", "qkv_proj")]
    [InlineData("conv1", "conv1")]
    [InlineData("fc2Weight", "fc2_weight")]
    public void Snake_case_conversion(string field, string expected) => Assert.Equal(expected, Module.ToSnakeCase(field));

    [Fact]
    public void Sequential_prints_like_pytorch()
    {
        var text = new Sequential(new Linear(784, 256), new ReLU(), new Dropout(0.2), new Linear(256, 10, bias: false), new LogSoftmax(1)).ToString();
        Assert.Equal("Sequential(\n  (0): Linear(in_features=784, out_features=256, bias=True)\n  (1): ReLU()\n  (2): Dropout(p=0.2, inplace=False)\n"
            + "  (3): Linear(in_features=256, out_features=10, bias=False)\n  (4): LogSoftmax(dim=1)\n)", text);
    }

    [Fact]
    public void Nested_modules_indent_like_pytorch()
    {
        var model = new Sequential(("features", new Sequential(new Linear(2, 3), new Tanh())), ("head", new Linear(3, 1)));
        Assert.Equal("Sequential(\n  (features): Sequential(\n    (0): Linear(in_features=2, out_features=3, bias=True)\n    (1): Tanh()\n  )\n"
            + "  (head): Linear(in_features=3, out_features=1, bias=True)\n)", model.ToString());
        Assert.Equal(["features.0.weight", "features.0.bias", "head.weight", "head.bias"], model.StateDict().Keys.ToArray());
    }

    [Fact]
    public void State_dict_round_trip_copies_values()
    {
        Generator.ManualSeed(1);
        var source = Mlp();
        var target = Mlp();
        target.LoadStateDict(source.StateDict());
        foreach (var ((name, a), (_, b)) in source.NamedParameters().Zip(target.NamedParameters()))
            Assert.True(a.Equal(b), name);
        var x = Tensor.Randn([5, 2]);
        Assert.True(source.Call(x).Equal(target.Call(x)));
        // A copy, not shared storage.
        Assert.False(source[0].Parameters().First().SharesStorageWith(target[0].Parameters().First()));
    }

    [Fact]
    public void Strict_loading_names_missing_and_unexpected_keys()
    {
        var model = Mlp();
        var state = model.StateDict();
        state.Remove("2.bias");
        state["3.weight"] = Tensor.Zeros([1]);
        var error = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("Missing key(s) in state_dict: \"2.bias\"", error.Message);
        Assert.Contains("Unexpected key(s) in state_dict: \"3.weight\"", error.Message);
        var result = model.LoadStateDict(state, strict: false);
        Assert.Equal(["2.bias"], result.MissingKeys);
        Assert.Equal(["3.weight"], result.UnexpectedKeys);
        Assert.Equal("IncompatibleKeys(MissingKeys: [2.bias], UnexpectedKeys: [3.weight])", result.ToString());
        Assert.False(result.AllMatched);
        Assert.Equal("<All keys matched successfully>", model.LoadStateDict(model.StateDict()).ToString());
    }

    [Fact]
    public void Loading_a_wrong_shape_names_the_key_and_copies_nothing()
    {
        var model = Mlp();
        var before = model.StateDict()["0.bias"].Clone();
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone() + 1);
        state["2.weight"] = Tensor.Zeros([8, 1]);
        var error = Assert.Throws<ShapeException>(() => model.LoadStateDict(state));
        Assert.Contains("2.weight", error.Message);
        Assert.Contains("[8, 1]", error.Message);
        Assert.Contains("[1, 8]", error.Message);
        Assert.True(model.StateDict()["0.bias"].Equal(before));
    }

    [Fact]
    public void RequiresGrad_false_freezes_parameters()
    {
        var model = Mlp();
        model[0].RequiresGrad(false);
        var x = Tensor.Randn([4, 2]);
        model.Call(x).Sum().Backward();
        Assert.All(model[0].Parameters(), p => { Assert.False(p.RequiresGrad); Assert.Null(p.Grad); });
        Assert.All(model[2].Parameters(), p => Assert.NotNull(p.Grad));
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void Train_and_eval_propagate_to_all_modules()
    {
        var model = new Sequential(("block", new Sequential(new Linear(2, 2), new Dropout())), ("out", new Linear(2, 1)));
        model.Eval();
        Assert.All(model.Modules(), m => Assert.False(m.Training));
        model.Train();
        Assert.All(model.Modules(), m => Assert.True(m.Training));
    }

    [Fact]
    public void Apply_visits_children_before_parents()
    {
        var model = new Sequential(("a", new Sequential(new Linear(1, 1))), ("b", new ReLU()));
        var order = new List<string>();
        model.Apply(m => order.Add(m.GetType().Name));
        Assert.Equal(["Linear", "Sequential", "ReLU", "Sequential"], order);
    }

    [Fact]
    public void Forward_hooks_observe_and_replace_and_can_be_removed()
    {
        var model = Mlp();
        var shapes = new List<string>();
        var handles = model.Children().Select(c => c.RegisterForwardHook((Module m, object? input, object? output) => shapes.Add(((Tensor)output!).Shape.ToString()))).ToList();
        using var doubler = model.RegisterForwardHook((m, input, output) => output * 2);
        var x = Tensor.Randn([3, 2]);
        var y = model.Call(x);
        Assert.Equal(["[3, 8]", "[3, 8]", "[3, 1]"], shapes);
        Assert.True(y.AllClose(model.Forward(x) * 2));
        foreach (var h in handles) h.Dispose();
        doubler.Remove();
        int calls = shapes.Count;
        Assert.True(model.Call(x).AllClose(model.Forward(x)));
        Assert.Equal(calls, shapes.Count);
    }

    [Fact]
    public void Pre_hook_can_replace_input()
    {
        var identity = new Identity();
        identity.RegisterForwardPreHook((m, input) => input + 1);
        Assert.Equal(new float[] { 2, 3 }, identity.Call(Tensor.From(new float[] { 1, 2 })).ToArray<float>());
    }

    [Fact]
    public void To_float64_converts_parameters_and_keeps_names()
    {
        var model = Mlp();
        model.To(DType.Float64);
        Assert.All(model.Parameters(), p => Assert.Equal(DType.Float64, p.DType));
        Assert.Equal(DType.Float64, model.Call(Tensor.Randn([2, 2], DType.Float64)).DType);
        Assert.Equal(4, model.Parameters().Count());
    }

    [Fact]
    public void ModuleList_and_ModuleDict_register_children()
    {
        var list = new ModuleList(new Linear(1, 2), new Linear(2, 3));
        list.Insert(0, new Linear(3, 1));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"], list.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(3, ((Linear)list[0]).InFeatures);
        Assert.Equal(1, ((Linear)list[1]).InFeatures);
        var dict = new ModuleDict { { "cls", new Linear(4, 2) }, { "box", new Linear(4, 4, bias: false) } };
        Assert.Equal(["cls.weight", "cls.bias", "box.weight"], dict.NamedParameters().Select(p => p.Name).ToArray());
        dict.Remove("cls");
        Assert.Equal(["box.weight"], dict.StateDict().Keys.ToArray());
    }

    [Fact]
    public void Shared_parameters_are_listed_once()
    {
        var layer = new Linear(2, 2);
        var model = new Sequential(layer, new ReLU(), layer);
        Assert.Equal(2, model.Parameters().Count());
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], model.StateDict().Keys.ToArray());
    }
}

public class ModuleRegistrationTests
{
    sealed class Explicit : Module<Tensor, Tensor>
    {
        public Parameter Scale = new(Tensor.Ones([1]));

        public Explicit()
        {
            RegisterParameter("scale", new Parameter(Tensor.Full([1], 3.0)));
            RegisterBuffer("mask", Tensor.Ones([2]), persistent: false);
            RegisterBuffer("table", Tensor.Zeros([2]));
            RegisterParameter("offset", null);
            RegisterModule("inner", new Linear(1, 1, bias: false));
        }

        public override Tensor Forward(Tensor input) => input * GetParameter("scale")!;
    }

    sealed class WithPrimaryConstructor(Linear encoder) : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor input) => encoder.Call(input);
    }

    [Fact]
    public void Explicit_registration_wins_over_a_field_of_the_same_name()
    {
        var module = new Explicit();
        var (name, scale) = module.NamedParameters().First();
        Assert.Equal("scale", name);
        Assert.Equal(3f, scale.Item<float>());
        Assert.Equal(["scale", "inner.weight"], module.NamedParameters().Select(p => p.Name));
        Assert.Equal(["mask", "table"], module.NamedBuffers().Select(b => b.Name));
        // Non-persistent buffers and absent (null) parameters are not saved.
        Assert.Equal(["scale", "table", "inner.weight"], module.StateDict().Keys);
        Assert.Equal(new float[] { 6 }, module.Call(Tensor.From(new float[] { 2 })).ToArray<float>());
        Assert.Throws<ArgumentException>(() => module.RegisterBuffer("scale", Tensor.Zeros([1])));
        Assert.Throws<ArgumentException>(() => module.RegisterModule("a.b", new ReLU()));
    }

    [Fact]
    public void Captured_primary_constructor_parameters_register_by_their_name()
    {
        var module = new WithPrimaryConstructor(new Linear(2, 2));
        Assert.Equal(["encoder.weight", "encoder.bias"], module.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Assigning_a_field_is_seen_at_once()
    {
        var holder = new Holder();
        Assert.Empty(holder.Parameters());
        holder.Head = new Linear(3, 1);
        Assert.Equal(["head.weight", "head.bias"], holder.NamedParameters().Select(p => p.Name));
    }

    sealed class Holder : Module
    {
        public Linear? Head;
    }

    [Fact]
    public void Typed_hooks_see_tensors_and_loss_hooks_see_the_pair()
    {
        var linear = new Linear(2, 3);
        Shape? seen = null;
        using (linear.RegisterForwardHook((Module<Tensor, Tensor> m, Tensor input, Tensor output) => { seen = output.Shape; }))
            linear.Call(Tensor.Zeros([4, 2]));
        Assert.Equal([4, 3], seen!.Value.ToArray());
        var loss = new MSELoss();
        object? pair = null;
        loss.RegisterForwardPreHook((m, input) => { pair = input; });
        loss.Call(Tensor.Zeros([2]), Tensor.Ones([2]));
        Assert.IsType<ValueTuple<Tensor, Tensor>>(pair);
    }
}

public class SequentialTests
{
    [Fact]
    public void Collection_initializer_and_slicing_keep_names_and_share_modules()
    {
        var model = new Sequential { new Linear(2, 4), new ReLU(), new Linear(4, 1) };
        var head = model[1..];
        Assert.Equal(["2.weight", "2.bias"], head.StateDict().Keys);
        Assert.Same(model[2], head[1]);
        Assert.Same(model[-1], model[2]);
        Assert.Equal(3, model.Count);
        var x = Tensor.Randn([3, 2]);
        Assert.True(model.Call(x).Equal(head.Call(model[0].Call(x))));
        Assert.Throws<ArgumentException>(() => new Sequential(("a", new ReLU()), ("a", new Tanh())));
    }
}

public class ModuleConversionTests
{
    [Fact]
    public void To_keeps_objects_that_need_no_conversion_and_keeps_int_buffers()
    {
        var bn = new BatchNorm1d(3);
        var weight = bn.Weight;
        var runningMean = bn.RunningMean;
        bn.To(DType.Float32);
        Assert.Same(weight, bn.Weight);
        Assert.Same(runningMean, bn.RunningMean);
        bn.To(DType.Float64);
        Assert.Equal(DType.Float64, bn.RunningVar!.DType);
        Assert.Equal(DType.Int64, bn.NumBatchesTracked!.DType);
        Assert.True(bn.Weight!.RequiresGrad && bn.Weight.IsLeaf);
        Assert.Throws<DTypeException>(() => bn.To(DType.Int32));
    }
}
