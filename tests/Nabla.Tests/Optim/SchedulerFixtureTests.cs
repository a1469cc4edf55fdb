using System.Text.Json;
using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>Each scheduler reproduces PyTorch 1.13's learning-rate (and momentum) sequence over 30 steps, for two groups.</summary>
public class SchedulerFixtureTests
{
    public static TheoryData<string> Cases => OptimFixtures.Names("schedulers");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scheduler_matches_pytorch_sequence(string name)
    {
        var c = OptimFixtures.Case("schedulers", name);
        var (optimizer, scheduler) = Create(c);
        var lrs = c.GetProperty("lrs");
        var momentums = c.GetProperty("momentums");
        for (int t = 0; t < lrs.GetArrayLength(); t++)
        {
            if (t > 0)
            {
                optimizer.Step();
                scheduler.Step();
            }
            AssertSequenceClose(lrs[t], scheduler.GetLastLr(), $"{name}: lr after {t} steps");
            AssertSequenceClose(lrs[t], [.. optimizer.ParamGroups.Select(g => g.Lr)], $"{name}: group lr after {t} steps");
            AssertSequenceClose(momentums[t], Momentums(optimizer), $"{name}: momentum after {t} steps");
        }
    }

    [Theory]
    [InlineData("step_lr")]
    [InlineData("multi_step_lr")]
    [InlineData("cosine_annealing_lr_restarts_eta_min")]
    [InlineData("linear_lr_warmup")]
    [InlineData("one_cycle_cos")]
    [InlineData("cosine_warm_restarts_t_mult")]
    [InlineData("sequential_warmup_cosine")]
    public void Scheduler_state_dict_round_trip_continues_the_sequence(string name)
    {
        var c = OptimFixtures.Case("schedulers", name);
        var lrs = c.GetProperty("lrs");
        var (optimizer, scheduler) = Create(c);
        for (int t = 1; t <= 12; t++) scheduler.Step();
        var saved = scheduler.StateDict();
        var groupLrs = optimizer.ParamGroups.Select(g => g.Options.ToDictionary()).ToList();

        var (resumedOptimizer, resumed) = Create(c);
        for (int g = 0; g < groupLrs.Count; g++)
            foreach (var (key, value) in groupLrs[g]) resumedOptimizer.ParamGroups[g][key] = value; // the optimizer's own state dict restores these
        resumed.LoadStateDict(saved);
        AssertSequenceClose(lrs[12], resumed.GetLastLr(), $"{name}: restored last lr");
        for (int t = 13; t < lrs.GetArrayLength(); t++)
        {
            resumed.Step();
            AssertSequenceClose(lrs[t], resumed.GetLastLr(), $"{name}: lr after {t} steps (resumed at 12)");
        }
    }

    public static TheoryData<string> FractionalCases => OptimFixtures.Names("warm_restarts_fractional");

    [Theory]
    [MemberData(nameof(FractionalCases))]
    public void CosineAnnealingWarmRestarts_matches_pytorch_at_fractional_epochs(string name)
    {
        var c = OptimFixtures.Case("warm_restarts_fractional", name);
        var groupLrs = c.GetProperty("group_lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var groups = groupLrs.Select(lr => new ParamGroup([Tensor.Zeros([1], requiresGrad: true)], new Dictionary<string, object> { ["lr"] = lr })).ToList();
        var o = c.GetProperty("options");
        var scheduler = new CosineAnnealingWarmRestarts(new SGD(groups, lr: groupLrs[0]), o.GetProperty("T_0").GetInt32(),
                                                         o.GetProperty("T_mult").GetInt32(), o.TryGetProperty("eta_min", out var m) ? m.GetDouble() : 0);
        var epochs = c.GetProperty("epochs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var lrs = c.GetProperty("lrs");
        for (int t = 0; t < epochs.Length; t++)
        {
            scheduler.Step(epochs[t]);
            AssertSequenceClose(lrs[t], scheduler.GetLastLr(), $"{name}: lr at epoch {epochs[t]}");
        }
    }

    public static TheoryData<string> PlateauCases => OptimFixtures.Names("plateau");

    [Theory]
    [MemberData(nameof(PlateauCases))]
    public void ReduceLROnPlateau_matches_pytorch_sequence(string name)
    {
        var c = OptimFixtures.Case("plateau", name);
        var (optimizer, scheduler) = CreatePlateau(c);
        var metrics = c.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var lrs = c.GetProperty("lrs");
        for (int t = 0; t < metrics.Length; t++)
        {
            scheduler.Step(metrics[t]);
            AssertSequenceClose(lrs[t], scheduler.GetLastLr(), $"{name}: lr after metric {t}");
            AssertSequenceClose(lrs[t], [.. optimizer.ParamGroups.Select(g => g.Lr)], $"{name}: group lr after metric {t}");
        }
    }

    [Fact]
    public void ReduceLROnPlateau_state_dict_round_trip_continues_the_sequence()
    {
        var c = OptimFixtures.Case("plateau", "plateau_min_abs_cooldown_min_lr");
        var metrics = c.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var lrs = c.GetProperty("lrs");
        var (optimizer, scheduler) = CreatePlateau(c);
        for (int t = 0; t < 10; t++) scheduler.Step(metrics[t]);
        var saved = scheduler.StateDict();
        var (resumedOptimizer, resumed) = CreatePlateau(c);
        for (int g = 0; g < optimizer.ParamGroups.Count; g++) resumedOptimizer.ParamGroups[g].Lr = optimizer.ParamGroups[g].Lr;
        resumed.LoadStateDict(saved);
        for (int t = 10; t < metrics.Length; t++)
        {
            resumed.Step(metrics[t]);
            AssertSequenceClose(lrs[t], resumed.GetLastLr(), $"resumed: lr after metric {t}");
        }
    }

    static (Optimizer, ReduceLROnPlateau) CreatePlateau(JsonElement c)
    {
        var groupLrs = c.GetProperty("group_lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var groups = groupLrs.Select(lr => new ParamGroup([Tensor.Zeros([1], requiresGrad: true)], new Dictionary<string, object> { ["lr"] = lr })).ToList();
        var optimizer = new SGD(groups, lr: groupLrs[0]);
        var o = c.GetProperty("options");
        double D(string key, double fallback) => o.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        int I(string key, int fallback) => o.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        string S(string key, string fallback) => o.TryGetProperty(key, out var v) ? v.GetString()! : fallback;
        double[] minLrs = o.TryGetProperty("min_lr", out var m)
            ? [.. m.EnumerateArray().Select(e => e.GetDouble())]
            : [.. groupLrs.Select(_ => 0.0)];
        return (optimizer, new ReduceLROnPlateau(optimizer, minLrs, S("mode", "min"), D("factor", 0.1), I("patience", 10), D("threshold", 1e-4),
                                                 S("threshold_mode", "rel"), I("cooldown", 0), D("eps", 1e-8)));
    }

    static double[] Momentums(Optimizer optimizer) => [.. optimizer.ParamGroups.Select(g =>
        g.Contains("betas") ? g.GetPair("betas").Item1 : g.Contains("momentum") ? g.GetDouble("momentum") : 0.0)];

    static void AssertSequenceClose(JsonElement expected, double[] actual, string what)
    {
        Assert.Equal(expected.GetArrayLength(), actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected[i].GetDouble();
            Assert.True(Math.Abs(actual[i] - e) <= 1e-12 * Math.Max(1, Math.Abs(e)), $"{what}[{i}]: expected {e:R}, got {actual[i]:R}.");
        }
    }

    internal static (Optimizer, LRScheduler) Create(JsonElement c)
    {
        var groupLrs = c.GetProperty("group_lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var parameters = new[] { Tensor.Zeros([2], requiresGrad: true), Tensor.Zeros([1], requiresGrad: true) };
        var groups = groupLrs.Select((lr, i) => new ParamGroup([parameters[i]], new Dictionary<string, object> { ["lr"] = lr })).ToList();
        var defaults = c.GetProperty("optimizer_defaults");
        double D(string key, double fallback) => defaults.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        Optimizer optimizer = c.GetProperty("optimizer").GetString() switch
        {
            "SGD" => new SGD(groups, D("lr", groupLrs[0]), momentum: D("momentum", 0)),
            "Adam" => new Adam(groups, D("lr", 1e-3)),
            var other => throw new NotSupportedException(other),
        };
        var o = c.GetProperty("options");
        if (o.TryGetProperty("last_epoch", out _))
            foreach (var group in optimizer.ParamGroups) group["initial_lr"] = group.Lr;
        return (optimizer, Scheduler(c.GetProperty("scheduler").GetString()!, optimizer, o, c));
    }

    static LRScheduler Scheduler(string kind, Optimizer optimizer, JsonElement o, JsonElement c)
    {
        double D(string key, double fallback) => o.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        int I(string key, int fallback) => o.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        int? N(string key) => o.TryGetProperty(key, out var v) ? v.GetInt32() : null;
        bool B(string key, bool fallback) => o.TryGetProperty(key, out var v) ? v.GetBoolean() : fallback;
        switch (kind)
        {
            case "StepLR": return new StepLR(optimizer, I("step_size", 0), D("gamma", 0.1), I("last_epoch", -1));
            case "MultiStepLR": return new MultiStepLR(optimizer, OptimFixtures.Ints(o.GetProperty("milestones")), D("gamma", 0.1));
            case "ExponentialLR": return new ExponentialLR(optimizer, D("gamma", 0));
            case "CosineAnnealingLR": return new CosineAnnealingLR(optimizer, I("T_max", 0), D("eta_min", 0), I("last_epoch", -1));
            case "LinearLR": return new LinearLR(optimizer, D("start_factor", 1.0 / 3), D("end_factor", 1.0), I("total_iters", 5));
            case "CosineAnnealingWarmRestarts": return new CosineAnnealingWarmRestarts(optimizer, I("T_0", 0), I("T_mult", 1), D("eta_min", 0));
            case "ConstantLR": return new ConstantLR(optimizer, D("factor", 1.0 / 3), I("total_iters", 5));
            case "LambdaLR": return new LambdaLR(optimizer, epoch => Math.Pow(0.95, epoch));
            case "OneCycleLR":
                var maxLr = o.GetProperty("max_lr");
                double[] maxLrs = maxLr.ValueKind == JsonValueKind.Array
                    ? [.. maxLr.EnumerateArray().Select(e => e.GetDouble())]
                    : [.. Enumerable.Repeat(maxLr.GetDouble(), optimizer.ParamGroups.Count)];
                return new OneCycleLR(optimizer, maxLrs, N("total_steps"), N("epochs"), N("steps_per_epoch"), D("pct_start", 0.3),
                    o.TryGetProperty("anneal_strategy", out var a) ? a.GetString()! : "cos", B("cycle_momentum", true),
                    D("base_momentum", 0.85), D("max_momentum", 0.95), D("div_factor", 25), D("final_div_factor", 1e4), B("three_phase", false));
            case "SequentialLR":
                var inner = c.GetProperty("inner").EnumerateArray().Select(s => Scheduler(s.GetProperty("scheduler").GetString()!, optimizer, s, c)).ToList();
                return new SequentialLR(optimizer, inner, OptimFixtures.Ints(o.GetProperty("milestones")));
            default: throw new NotSupportedException(kind);
        }
    }
}
