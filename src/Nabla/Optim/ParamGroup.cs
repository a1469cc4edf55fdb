namespace Nabla.Optim;

/// <summary>
/// A set of parameters optimized with the same hyper-parameters (one entry of PyTorch's
/// <c>optimizer.param_groups</c>). Hyper-parameters are kept by PyTorch's snake_case names
/// (<c>"lr"</c>, <c>"weight_decay"</c>, <c>"betas"</c>, and <c>"initial_lr"</c> once a scheduler
/// is attached), so that schedulers and state dicts address them the way PyTorch does.
/// Values are <see cref="double"/>, <see cref="bool"/>, <see cref="string"/> or a
/// <c>(double, double)</c> pair (Adam's <c>betas</c>); other numbers are stored as doubles.
/// </summary>
/// <example><code>
/// var optimizer = new SGD([
///     new ParamGroup(backbone.Parameters()),
///     new ParamGroup(head.Parameters(), new() { ["lr"] = 1e-3 }),
/// ], lr: 1e-2, momentum: 0.9);
/// </code></example>
public sealed class ParamGroup
{
    readonly Dictionary<string, object> options = [];

    /// <summary>A group of <paramref name="parameters"/>; hyper-parameters missing from
    /// <paramref name="options"/> are taken from the optimizer's defaults when the group is added.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, Dictionary<string, object>? options = null)
    {
        Params = [.. parameters];
        if (options != null)
            foreach (var (name, value) in options) this[name] = value;
    }

    /// <summary>The parameters of this group, in order.</summary>
    public IReadOnlyList<Tensor> Params { get; }

    /// <summary>The hyper-parameters by name, in insertion order.</summary>
    public IReadOnlyDictionary<string, object> Options => options;

    /// <summary>A hyper-parameter by its PyTorch name; setting one adds or replaces it.</summary>
    public object this[string name]
    {
        get => options.TryGetValue(name, out var value)
            ? value
            : throw new KeyNotFoundException($"ParamGroup: no hyper-parameter named '{name}'; this group has {string.Join(", ", options.Keys)}.");
        set => options[name] = Normalize(name, value);
    }

    /// <summary>True when the group has a hyper-parameter called <paramref name="name"/>.</summary>
    public bool Contains(string name) => options.ContainsKey(name);

    /// <summary>The learning rate (<c>group["lr"]</c>).</summary>
    public double Lr
    {
        get => GetDouble("lr");
        set => this["lr"] = value;
    }

    /// <summary>A numeric hyper-parameter.</summary>
    public double GetDouble(string name) => this[name] is double d
        ? d
        : throw new InvalidCastException($"ParamGroup: hyper-parameter '{name}' is {Describe(this[name])}, not a number.");

    /// <summary>A boolean hyper-parameter.</summary>
    public bool GetBool(string name) => this[name] is bool b
        ? b
        : throw new InvalidCastException($"ParamGroup: hyper-parameter '{name}' is {Describe(this[name])}, not a bool.");

    /// <summary>A pair hyper-parameter such as <c>betas</c>.</summary>
    public (double, double) GetPair(string name) => this[name] is ValueTuple<double, double> pair
        ? pair
        : throw new InvalidCastException($"ParamGroup: hyper-parameter '{name}' is {Describe(this[name])}, not a (double, double) pair.");

    /// <summary>Adds <paramref name="name"/> = <paramref name="value"/> unless the group already has it (<c>dict.setdefault</c>).</summary>
    internal void SetDefault(string name, object value)
    {
        if (!options.ContainsKey(name)) this[name] = value;
    }

    static object Normalize(string name, object value) => value switch
    {
        double or bool or string or ValueTuple<double, double> => value,
        float or int or long or short or byte or decimal => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        ValueTuple<float, float> p => ((double)p.Item1, (double)p.Item2),
        ValueTuple<int, int> p => ((double)p.Item1, (double)p.Item2),
        double[] { Length: 2 } a => (a[0], a[1]),
        null => throw new ArgumentNullException(nameof(value), $"ParamGroup: hyper-parameter '{name}' cannot be null."),
        _ => throw new ArgumentException($"ParamGroup: hyper-parameter '{name}' has unsupported type {value.GetType().Name}; use double, bool, string or (double, double).", nameof(value)),
    };

    static string Describe(object value) => $"{value} ({value.GetType().Name})";
}
