using System.Reflection;
using System.Text;

namespace Nabla.NN;

/// <summary>
/// Base class of every layer and model (<c>torch.nn.Module</c>). A module owns parameters,
/// buffers and child modules, each under a name; state-dict keys are those names joined by dots
/// (<c>features.0.weight</c>), exactly as PyTorch writes them for the same architecture.
/// </summary>
/// <remarks>
/// Fields (and auto-properties) of type <see cref="Parameter"/> or <see cref="Module"/>, and
/// <see cref="Tensor"/> fields marked <see cref="BufferAttribute"/>, are registered automatically
/// under their name in snake_case (<c>runningMean</c>, <c>_runningMean</c> → <c>running_mean</c>),
/// in declaration order (base class first). The field is read each time, so assigning a new
/// value to it (or null) is seen at once, like attribute assignment in PyTorch. An explicit
/// <see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/> or <see cref="RegisterModule"/>
/// under the same name wins over the field. Only the declared type of a field counts: a
/// <c>Module[]</c> or <c>List&lt;Module&gt;</c> field is not looked into (use <see cref="ModuleList"/>),
/// and a plain <see cref="Tensor"/> field is neither a parameter nor a buffer without the attribute.
/// </remarks>
public abstract partial class Module
{
    /// <summary>One named slot: backed by a field of the module, or holding its value itself.</summary>
    sealed class Entry(FieldInfo? field, object? value)
    {
        public FieldInfo? Field { get; } = field;
        object? value = value;

        public object? Get(Module owner) => Field is null ? value : Field.GetValue(owner);

        public void Set(Module owner, object? newValue)
        {
            if (Field is null) value = newValue;
            else Field.SetValue(owner, newValue);
        }
    }

    readonly OrderedDictionary<string, Entry> parameters = new();
    readonly OrderedDictionary<string, Entry> buffers = new();
    readonly OrderedDictionary<string, Entry> modules = new();
    readonly HashSet<string> nonPersistentBuffers = [];
    bool fieldsScanned;

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>. Dropout and BatchNorm read it.</summary>
    public bool Training { get; private set; } = true;

    // ------------------------------------------------------------------ registration

    /// <summary>Adds a parameter under <paramref name="name"/> (<c>register_parameter</c>); null registers an absent one (a layer without bias).</summary>
    public void RegisterParameter(string name, Parameter? parameter) => Register(parameters, name, parameter, "RegisterParameter");

    /// <summary>
    /// Adds a buffer under <paramref name="name"/> (<c>register_buffer</c>): state that is not learned.
    /// Non-persistent buffers are left out of <see cref="StateDict"/>.
    /// </summary>
    public void RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        Register(buffers, name, tensor, "RegisterBuffer");
        if (persistent) nonPersistentBuffers.Remove(name);
        else nonPersistentBuffers.Add(name);
    }

    /// <summary>Adds a child module under <paramref name="name"/> (<c>add_module</c> / <c>register_module</c>).</summary>
    public void RegisterModule(string name, Module? module) => Register(modules, name, module, "RegisterModule");

    void Register(OrderedDictionary<string, Entry> registry, string name, object? value, string op)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException($"{op}: the name must not be empty.", nameof(name));
        if (name.Contains('.')) throw new ArgumentException($"{op}: the name \"{name}\" must not contain \".\".", nameof(name));
        EnsureFieldsScanned();
        foreach (var other in new[] { parameters, buffers, modules })
        {
            if (ReferenceEquals(other, registry) || !other.TryGetValue(name, out var existing)) continue;
            if (existing.Field == null) throw new ArgumentException($"{op}: \"{name}\" is already registered as a {KindOf(other)}.", nameof(name));
            other.Remove(name); // the explicit registration wins over a field of that name
        }
        if (registry.TryGetValue(name, out var entry) && entry.Field == null) entry.Set(this, value);
        else if (registry.ContainsKey(name)) registry[name] = new Entry(null, value); // keeps the field's position
        else registry.Add(name, new Entry(null, value));
    }

    string KindOf(OrderedDictionary<string, Entry> registry) =>
        ReferenceEquals(registry, parameters) ? "parameter" : ReferenceEquals(registry, buffers) ? "buffer" : "module";

    /// <summary>Registers the Parameter / Module / [Buffer] fields, once, on first use of the registries.</summary>
    void EnsureFieldsScanned()
    {
        if (fieldsScanned) return;
        fieldsScanned = true;
        var hierarchy = new List<Type>();
        for (var t = GetType(); t != null && t != typeof(Module); t = t.BaseType) hierarchy.Add(t);
        hierarchy.Reverse();
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (var type in hierarchy)
        {
            foreach (var field in type.GetFields(flags).OrderBy(f => f.MetadataToken))
            {
                // An auto-property's backing field carries the property's name (and attributes).
                var property = BackingProperty(type, field);
                MemberInfo member = property ?? (MemberInfo)field;
                var registry = field.FieldType switch
                {
                    var t when typeof(Parameter).IsAssignableFrom(t) => parameters,
                    var t when typeof(Module).IsAssignableFrom(t) => modules,
                    var t when typeof(Tensor).IsAssignableFrom(t) && member.IsDefined(typeof(BufferAttribute)) => buffers,
                    _ => null,
                };
                if (registry == null) continue;
                // "<Weight>k__BackingField" (auto-property) and "<layer>P" (captured primary-constructor
                // parameter) are named after what the user wrote between the angle brackets.
                string name = ToSnakeCase(field.Name.StartsWith('<') ? field.Name[1..field.Name.IndexOf('>')] : field.Name);
                if (parameters.ContainsKey(name) || buffers.ContainsKey(name) || modules.ContainsKey(name)) continue;
                registry.Add(name, new Entry(field, null));
                if (member.GetCustomAttribute<BufferAttribute>() is { Persistent: false }) nonPersistentBuffers.Add(name);
            }
        }
    }

    static PropertyInfo? BackingProperty(Type type, FieldInfo field)
    {
        if (!field.Name.StartsWith('<')) return null;
        int end = field.Name.IndexOf('>');
        return end > 1 ? type.GetProperty(field.Name[1..end], BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly) : null;
    }

    /// <summary><c>runningMean</c>, <c>_runningMean</c>, <c>RunningMean</c> → <c>running_mean</c>; <c>QKVProj</c> → <c>qkv_proj</c>.</summary>
    internal static string ToSnakeCase(string name)
    {
        name = name.TrimStart('_');
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool afterLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((afterLowerOrDigit || endsAcronym) && text.Length > 0 && text[^1] != '_') text.Append('_');
                text.Append(char.ToLowerInvariant(c));
            }
            else text.Append(c);
        }
        return text.ToString();
    }

    // ------------------------------------------------------------------ own slots (non-null values)

    IEnumerable<(string Name, Parameter Parameter)> OwnParameters()
    {
        EnsureFieldsScanned();
        foreach (var (name, entry) in parameters.ToArray())
            if (entry.Get(this) is Parameter p) yield return (name, p);
    }

    IEnumerable<(string Name, Tensor Buffer)> OwnBuffers()
    {
        EnsureFieldsScanned();
        foreach (var (name, entry) in buffers.ToArray())
            if (entry.Get(this) is Tensor t) yield return (name, t);
    }

    /// <summary>The parameter registered under <paramref name="name"/> on this module (not children), or null.</summary>
    protected Parameter? GetParameter(string name)
    {
        EnsureFieldsScanned();
        return parameters.TryGetValue(name, out var entry) ? entry.Get(this) as Parameter : null;
    }

    /// <summary>The buffer registered under <paramref name="name"/> on this module (not children), or null.</summary>
    protected Tensor? GetBuffer(string name)
    {
        EnsureFieldsScanned();
        return buffers.TryGetValue(name, out var entry) ? entry.Get(this) as Tensor : null;
    }

    /// <summary>Replaces the value of a registered buffer (a field-backed one through its field).</summary>
    protected void SetBuffer(string name, Tensor? value)
    {
        EnsureFieldsScanned();
        if (!buffers.TryGetValue(name, out var entry)) throw new ArgumentException($"SetBuffer: no buffer named \"{name}\" on {TypeName}.", nameof(name));
        entry.Set(this, value);
    }

    /// <summary>The child registered under <paramref name="name"/>, or null.</summary>
    protected Module? GetModule(string name)
    {
        EnsureFieldsScanned();
        return modules.TryGetValue(name, out var entry) ? entry.Get(this) as Module : null;
    }

    /// <summary>Removes every explicitly registered child (containers rebuild their numbering with it).</summary>
    private protected void ClearModules()
    {
        EnsureFieldsScanned();
        foreach (var name in modules.Where(kv => kv.Value.Field == null).Select(kv => kv.Key).ToArray()) modules.Remove(name);
    }

    /// <summary>Removes one explicitly registered child.</summary>
    private protected bool RemoveModule(string name)
    {
        EnsureFieldsScanned();
        return modules.TryGetValue(name, out var entry) && entry.Field == null && modules.Remove(name);
    }

    // ------------------------------------------------------------------ traversal

    /// <summary>The direct children with their names (<c>named_children</c>); a module registered twice appears once.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        EnsureFieldsScanned();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (name, entry) in modules.ToArray())
            if (entry.Get(this) is Module m && seen.Add(m)) yield return (name, m);
    }

    /// <summary>The direct children (<c>children()</c>).</summary>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>This module and all below it, depth first, with dotted names; this module's name is <paramref name="prefix"/> (<c>named_modules</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push((prefix, this));
        while (stack.Count > 0)
        {
            var (name, module) = stack.Pop();
            if (!seen.Add(module)) continue;
            yield return (name, module);
            foreach (var (childName, child) in module.NamedChildren().Reverse())
                stack.Push((Join(name, childName), child));
        }
    }

    /// <summary>This module and all below it (<c>modules()</c>).</summary>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    /// <summary>
    /// Parameters with dotted names, this module's first, then each child's in registration order
    /// (<c>named_parameters</c>). A parameter shared by two modules appears once.
    /// </summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (moduleName, module) in recurse ? NamedModules(prefix) : [(prefix, this)])
            foreach (var (name, p) in module.OwnParameters())
                if (seen.Add(p)) yield return (Join(moduleName, name), p);
    }

    /// <summary>All parameters (<c>parameters()</c>): what an optimizer updates.</summary>
    public IEnumerable<Parameter> Parameters(bool recurse = true) => NamedParameters(recurse: recurse).Select(p => p.Parameter);

    /// <summary>Buffers with dotted names (<c>named_buffers</c>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (moduleName, module) in recurse ? NamedModules(prefix) : [(prefix, this)])
            foreach (var (name, b) in module.OwnBuffers())
                if (seen.Add(b)) yield return (Join(moduleName, name), b);
    }

    /// <summary>All buffers (<c>buffers()</c>).</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse: recurse).Select(b => b.Buffer);

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ------------------------------------------------------------------ modes and bulk operations

    /// <summary>Sets training mode on this module and all below it (<c>train(mode)</c>).</summary>
    public Module Train(bool mode = true)
    {
        foreach (var module in Modules()) module.Training = mode;
        return this;
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>. Dropout becomes the identity, BatchNorm uses its running statistics.</summary>
    public Module Eval() => Train(false);

    /// <summary>Calls <paramref name="fn"/> on every child (recursively) and then on this module (<c>apply</c>); used for custom initialisation.</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var child in Children()) child.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>Clears the gradients of all parameters (sets <c>Grad</c> to null, as PyTorch's <c>set_to_none=True</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ClearGrad();
    }

    /// <summary>Sets <c>RequiresGrad</c> on all parameters (<c>requires_grad_</c>): false freezes the module.</summary>
    public Module RequiresGrad(bool requiresGrad = true)
    {
        foreach (var p in Parameters()) p.RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// Converts floating-point parameters and buffers to <paramref name="dtype"/> (<c>module.to(dtype)</c>);
    /// integer buffers such as <c>num_batches_tracked</c> are kept. Parameters are replaced by new
    /// <see cref="Parameter"/> objects, so build the optimizer after the conversion.
    /// </summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint()) throw new DTypeException($"To: modules can only be converted to a floating-point dtype, got {dtype}.");
        foreach (var module in Modules()) module.ConvertOwn(t => t.DType.IsFloatingPoint() ? t.Detach().To(dtype) : t);
        return this;
    }

    /// <summary>Moves parameters and buffers to <paramref name="device"/> (<c>module.to(device)</c>): <see cref="Device.Cpu"/> or <see cref="Device.Reference"/>.</summary>
    public Module To(Device device)
    {
        foreach (var module in Modules()) module.ConvertOwn(t => t.Detach().To(device));
        return this;
    }

    /// <summary><c>To(DType.Float64)</c> (<c>double()</c>).</summary>
    public Module Double() => To(DType.Float64);

    /// <summary><c>To(DType.Float32)</c> (<c>float()</c>).</summary>
    public Module Float() => To(DType.Float32);

    void ConvertOwn(Func<Tensor, Tensor> convert)
    {
        EnsureFieldsScanned();
        foreach (var (_, entry) in parameters.ToArray())
        {
            if (entry.Get(this) is not Parameter p) continue;
            var data = convert(p);
            if (data.SharesStorageWith(p) && data.DType == p.DType) continue;
            var converted = new Parameter(data, p.RequiresGrad);
            if (p.Grad != null) converted.Grad = convert(p.Grad);
            entry.Set(this, converted);
        }
        foreach (var (_, entry) in buffers.ToArray())
        {
            if (entry.Get(this) is not Tensor b) continue;
            var converted = convert(b);
            if (!(converted.SharesStorageWith(b) && converted.DType == b.DType)) entry.Set(this, converted);
        }
    }

    // ------------------------------------------------------------------ state dict

    /// <summary>
    /// Parameters and persistent buffers by dotted name, in PyTorch's order: each module's
    /// parameters, then its buffers, then its children's (<c>state_dict()</c>). The values are
    /// detached tensors sharing storage with the module's.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor>();
        SaveTo(result, "");
        return result;
    }

    void SaveTo(Dictionary<string, Tensor> result, string prefix)
    {
        foreach (var (name, p) in OwnParameters()) result[prefix + name] = p.Detach();
        foreach (var (name, b) in OwnBuffers())
            if (!nonPersistentBuffers.Contains(name)) result[prefix + name] = b.Detach();
        EnsureFieldsScanned();
        foreach (var (name, entry) in modules.ToArray())
            if (entry.Get(this) is Module child) child.SaveTo(result, prefix + name + ".");
    }

    /// <summary>
    /// Copies the values of <paramref name="stateDict"/> into this module's parameters and buffers
    /// in place (<c>load_state_dict</c>), converting dtypes. Every shape is checked before anything
    /// is copied. With <paramref name="strict"/>, a missing or unexpected key is an error that
    /// names it; otherwise the unmatched keys are returned.
    /// </summary>
    /// <exception cref="ShapeException">A value's shape differs from the module's tensor; the message names the key.</exception>
    /// <exception cref="ArgumentException">Strict loading found missing or unexpected keys.</exception>
    public IncompatibleKeys LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        foreach (var (key, target) in own)
        {
            if (!stateDict.TryGetValue(key, out var source)) continue;
            if (source.Shape != target.Shape)
                throw new ShapeException($"LoadStateDict: size mismatch for {key}: copying a param with shape {source.Shape} from the state dict, the shape in the current {TypeName} is {target.Shape}.");
        }
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            var message = new StringBuilder($"LoadStateDict: error(s) in loading state_dict for {TypeName}:");
            if (missing.Count > 0) message.Append(" Missing key(s) in state_dict: ").Append(string.Join(", ", missing.Select(k => $"\"{k}\""))).Append('.');
            if (unexpected.Count > 0) message.Append(" Unexpected key(s) in state_dict: ").Append(string.Join(", ", unexpected.Select(k => $"\"{k}\""))).Append('.');
            throw new ArgumentException(message.ToString(), nameof(stateDict));
        }
        using (Autograd.NoGrad())
            foreach (var (key, target) in own)
                if (stateDict.TryGetValue(key, out var source)) target.Copy_(source);
        return new IncompatibleKeys(missing, unexpected);
    }

    // ------------------------------------------------------------------ printing

    /// <summary>The class name PyTorch prints (generic arity removed).</summary>
    protected string TypeName
    {
        get
        {
            var name = GetType().Name;
            int tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }
    }

    /// <summary>The layer's settings as printed inside its parentheses (<c>extra_repr</c>), e.g. <c>in_features=2, out_features=3, bias=True</c>.</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module tree in PyTorch's format: <c>Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n)</c>.</summary>
    public override string ToString()
    {
        var extra = ExtraRepr();
        var lines = extra.Length == 0 ? new List<string>() : [.. extra.Split('\n')];
        int extraCount = lines.Count;
        EnsureFieldsScanned();
        foreach (var (name, entry) in modules.ToArray())
        {
            var child = entry.Get(this) as Module;
            lines.Add($"({name}): " + AddIndent(child?.ToString() ?? "None", 2));
        }
        var text = new StringBuilder(TypeName).Append('(');
        if (lines.Count == 1 && extraCount == 1) text.Append(lines[0]);
        else if (lines.Count > 0) text.Append("\n  ").Append(string.Join("\n  ", lines)).Append('\n');
        return text.Append(')').ToString();
    }

    static string AddIndent(string text, int spaces) => text.Replace("\n", "\n" + new string(' ', spaces));

    /// <summary>A number as Python prints a float (<c>0.1</c>, <c>1e-05</c>, <c>1.0</c>), for <see cref="ExtraRepr"/>.</summary>
    protected static string FormatFloat(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        var text = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        int e = text.IndexOf('E');
        if (e >= 0)
        {
            var mantissa = text[..e];
            var exponent = int.Parse(text[(e + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            return $"{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        return text.Contains('.') ? text : text + ".0";
    }

    /// <summary>A bool as Python prints it (<c>True</c>/<c>False</c>).</summary>
    protected static string FormatBool(bool value) => value ? "True" : "False";

    /// <summary>Sizes as a Python tuple: <c>(4,)</c>, <c>(2, 3)</c>.</summary>
    protected static string FormatTuple(IReadOnlyList<int> sizes) =>
        sizes.Count == 1 ? $"({sizes[0]},)" : "(" + string.Join(", ", sizes) + ")";
}
