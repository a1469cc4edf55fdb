using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Training;

/// <summary>
/// Fine-tuning (d2l §14.2, transfer learning): start from a model trained on another task, keep
/// its feature layers (the backbone), give it a fresh output layer (the head) for the new classes,
/// freeze the first layers and train the rest with a smaller learning rate than the head.
/// Each step is one call, and each works on any <see cref="Module"/>: the head is named by module
/// paths (<c>fc</c>, <c>classifier.6</c>), the last frozen layer by a top-level child's name or a
/// dotted path into one (<c>layer3</c>, <c>features.5</c>).
/// </summary>
/// <example>
/// <code>
/// var model = ResNet.ResNet18(numClasses: 5);                  // the head (fc) is new for the 5 classes
/// FineTuning.LoadBackbone(model, pretrained.StateDict(), ["fc"]); // everything else from the pretrained model
/// FineTuning.FreezeUntil(model, "layer2");                        // conv1 … layer2 keep their weights
/// var optimizer = new SGD(FineTuning.ParamGroups(model, ["fc"], backboneLr: 0.005), lr: 0.05);
/// </code>
/// </example>
public static class FineTuning
{
    /// <summary>The names of <paramref name="model"/>'s direct children, in registration order: what <see cref="FreezeUntil"/> accepts.</summary>
    public static IReadOnlyList<string> ChildNames(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [.. model.NamedChildren().Select(c => c.Name)];
    }

    /// <summary>
    /// The modules that <see cref="FreezeUntil"/> would freeze, by path, in order, without freezing
    /// anything: for a top-level name, the direct children from the first up to and including it;
    /// for a dotted path (<c>features.5</c>), the direct children before <c>features</c>, then within
    /// <c>features</c> its children up to and including <c>5</c>, and so on down the path.
    /// </summary>
    /// <exception cref="ArgumentException">A part of the path names no module; the message lists the valid names at that level.</exception>
    public static IReadOnlyList<string> ModulesUntil(Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        var modules = new List<string>();
        Module current = model;
        string prefix = "";
        string[] parts = path.Split('.');
        for (int level = 0; level < parts.Length; level++)
        {
            var children = current.NamedChildren().ToList();
            int index = children.FindIndex(c => c.Name == parts[level]);
            if (index < 0)
            {
                string valid = children.Count == 0 ? "none" : string.Join(", ", children.Select(c => c.Name));
                throw new ArgumentException(level == 0
                    ? $"FreezeUntil: {model.GetType().Name} has no top-level module named '{parts[0]}'. Valid names: {valid}."
                    : $"FreezeUntil: {prefix} ({current.GetType().Name}) has no module named '{parts[level]}'. Valid names there: {valid}.", nameof(path));
            }
            for (int i = 0; i < index; i++)
            {
                modules.Add(Join(prefix, children[i].Name));
            }
            prefix = Join(prefix, parts[level]);
            current = children[index].Module;
        }
        modules.Add(prefix);
        return modules;
    }

    /// <summary>
    /// Freezes (<c>RequiresGrad(false)</c>) the modules of <see cref="ModulesUntil"/>: every direct
    /// child of <paramref name="model"/> from the first up to and including the one at
    /// <paramref name="path"/>, in registration order (the order of <see cref="Module.NamedChildren"/>,
    /// which is the state dict's order); a dotted path goes down into a child the same way
    /// (<c>features.5</c>: the first six layers of <c>features</c>).
    /// </summary>
    /// <returns>The paths of the frozen modules.</returns>
    /// <exception cref="ArgumentException">A part of the path names no module; the message lists the valid names.</exception>
    /// <remarks>
    /// As in PyTorch, a frozen BatchNorm still updates its running statistics in training mode;
    /// call <c>Eval()</c> on it to keep them too.
    /// </remarks>
    public static IReadOnlyList<string> FreezeUntil(Module model, string path)
    {
        IReadOnlyList<string> frozen = ModulesUntil(model, path);
        var byPath = model.NamedModules().ToDictionary(m => m.Name, m => m.Module);
        foreach (string module in frozen)
        {
            byPath[module].RequiresGrad(false);
        }
        return frozen;
    }

    /// <summary>
    /// Copies <paramref name="pretrained"/> into <paramref name="model"/>, except the parameters
    /// and buffers of the <paramref name="head"/> modules, which keep the values the model was
    /// built with (a fresh initialisation, possibly for another number of classes). Every other key
    /// must be present on both sides with the same shape, as in a strict <see cref="Module.LoadStateDict"/>.
    /// </summary>
    /// <param name="model">The model to fine-tune, built for the new task.</param>
    /// <param name="pretrained">The state dict of the same architecture trained on the old task.</param>
    /// <param name="head">Module paths of the output layers (<c>fc</c>; <c>fc</c>, <c>aux1.fc2</c>, <c>aux2.fc2</c>).</param>
    /// <exception cref="ArgumentException">A head path is not a module of the model, or a key outside the head is missing or unexpected.</exception>
    /// <exception cref="ShapeException">A backbone tensor's shape differs; the message names the key.</exception>
    public static void LoadBackbone(Module model, IReadOnlyDictionary<string, Tensor> pretrained, IReadOnlyCollection<string> head)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pretrained);
        CheckHead(model, head, "LoadBackbone");
        var backbone = pretrained.Where(kv => !IsUnder(kv.Key, head)).ToDictionary(kv => kv.Key, kv => kv.Value);
        IncompatibleKeys result = model.LoadStateDict(backbone, strict: false);
        var missing = result.MissingKeys.Where(k => !IsUnder(k, head)).ToList();
        if (missing.Count > 0 || result.UnexpectedKeys.Count > 0)
        {
            throw new ArgumentException(
                $"LoadBackbone: the pretrained state dict does not fit {model.GetType().Name} outside the head ({string.Join(", ", head)})." +
                (missing.Count > 0 ? $" Missing: {string.Join(", ", missing)}." : "") +
                (result.UnexpectedKeys.Count > 0 ? $" Unexpected: {string.Join(", ", result.UnexpectedKeys)}." : ""),
                nameof(pretrained));
        }
    }

    /// <summary>
    /// The trainable parameters (those that require grad) in two groups: the backbone's first, with
    /// learning rate <paramref name="backboneLr"/> (or the optimizer's when null), then the head's,
    /// with the optimizer's learning rate. Frozen parameters are left out; an empty group is left out.
    /// </summary>
    /// <param name="model">The model being fine-tuned.</param>
    /// <param name="head">Module paths of the output layers.</param>
    /// <param name="backboneLr">Learning rate of the pretrained layers that are not frozen, usually a tenth of the head's.</param>
    /// <exception cref="ArgumentException">A head path is not a module of the model, or nothing is left to train.</exception>
    public static List<ParamGroup> ParamGroups(Module model, IReadOnlyCollection<string> head, double? backboneLr = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckHead(model, head, "ParamGroups");
        if (backboneLr is { } lr && !(lr >= 0))
        {
            throw new ArgumentException($"ParamGroups: backboneLr must be 0 or more, got {lr}.", nameof(backboneLr));
        }
        var trainable = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
        var backbone = trainable.Where(p => !IsUnder(p.Name, head)).Select(p => (Tensor)p.Parameter).ToList();
        var headParameters = trainable.Where(p => IsUnder(p.Name, head)).Select(p => (Tensor)p.Parameter).ToList();
        var groups = new List<ParamGroup>();
        if (backbone.Count > 0)
        {
            groups.Add(backboneLr is { } backboneRate ? new ParamGroup(backbone, new() { ["lr"] = backboneRate }) : new ParamGroup(backbone));
        }
        if (headParameters.Count > 0)
        {
            groups.Add(new ParamGroup(headParameters));
        }
        if (groups.Count == 0)
        {
            throw new ArgumentException($"ParamGroups: every parameter of {model.GetType().Name} is frozen; nothing is left to train.", nameof(model));
        }
        return groups;
    }

    /// <summary>Whether the state-dict key or parameter name <paramref name="key"/> belongs to one of the <paramref name="modules"/>.</summary>
    public static bool IsUnder(string key, IReadOnlyCollection<string> modules)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(modules);
        foreach (string module in modules)
        {
            if (key.StartsWith(module, StringComparison.Ordinal) && (key.Length == module.Length || key[module.Length] == '.'))
            {
                return true;
            }
        }
        return false;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static void CheckHead(Module model, IReadOnlyCollection<string> head, string op)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.Count == 0)
        {
            throw new ArgumentException($"{op}: name at least one head module.", nameof(head));
        }
        var names = model.NamedModules().Select(m => m.Name).ToHashSet();
        foreach (string name in head)
        {
            if (name.Length == 0 || !names.Contains(name))
            {
                throw new ArgumentException(
                    $"{op}: '{name}' is not a module of {model.GetType().Name}. Top-level modules: {string.Join(", ", ChildNames(model))}.", nameof(head));
            }
        }
    }
}
