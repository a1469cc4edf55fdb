// The autograd types live in namespace Nabla (not Nabla.Autograd) so that the static class
// Autograd reads as in PyTorch (`Autograd.Grad`, `using (Autograd.NoGrad())`): C# forbids a
// namespace and a type with the same name side by side.
namespace Nabla;

/// <summary>The backward rule of one recorded op: from d(loss)/d(output), the gradient for each input (null where none is needed).</summary>
internal delegate Tensor?[] BackwardFunction(Tensor gradOutput);

/// <summary>
/// One node of the dynamic graph (<c>grad_fn</c>): the op that produced a tensor, its backward
/// rule, and edges to the nodes of its inputs. Leaves that require grad get an
/// <c>AccumulateGrad</c> node that adds incoming gradients to the leaf's <c>Grad</c>.
/// </summary>
public sealed class Node
{
    /// <summary>PyTorch-style name, e.g. <c>MulBackward0</c>.</summary>
    public string Name { get; }

    internal readonly Node?[] Next;
    internal readonly int[][] InputShapes;
    internal readonly DType[] InputDTypes;
    internal BackwardFunction? Backward;
    internal Tensor[]? Saved;

    /// <summary>
    /// A buffer that only this node's backward reads (max pooling's argmax indices): the engine
    /// recycles it once the backward has run, unless the graph is kept or the backward was itself
    /// recorded (create_graph), so the op need not know how backward is being run.
    /// </summary>
    internal Tensor? BackwardScratch;
    internal int[]? SavedVersions;
    internal readonly Tensor? Leaf;
    internal List<Func<Tensor, Tensor?>>? Hooks;
    /// <summary>On a leaf's AccumulateGrad node: called with the leaf once its gradient has been accumulated.</summary>
    internal List<Action<Tensor>>? PostAccumulateGradHooks;
    internal Tensor? RetainTarget;
    /// <summary>Where the engine adds this node's backward time (the <see cref="BackwardTimer"/> current when it was recorded), or null.</summary>
    internal readonly BackwardTimer? Timer;

    /// <summary>The forward scope whose intermediates this node's backward may read (see <see cref="RecyclingScope"/>).</summary>
    internal RecyclingScope? Scope;

    Node(string name, Node?[] next, int[][] inputShapes, DType[] inputDTypes, BackwardFunction? backward, Tensor? leaf)
    {
        Name = name;
        Next = next;
        InputShapes = inputShapes;
        InputDTypes = inputDTypes;
        Backward = backward;
        Leaf = leaf;
        Timer = leaf is null ? BackwardTimer.Current : null;
    }

    /// <summary>The nodes of this node's inputs (null for inputs that need no gradient).</summary>
    public IReadOnlyList<Node?> NextFunctions => Next;

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}>";

    internal static Node Accumulator(Tensor leaf) => new("AccumulateGrad", [], [], [], null, leaf);

    /// <summary>True when grad mode is on and an input requires grad: the op must be recorded.</summary>
    internal static bool ShouldRecord(Tensor a) => GradMode.IsEnabled && a.RequiresGrad;

    /// <inheritdoc cref="ShouldRecord(Tensor)"/>
    internal static bool ShouldRecord(Tensor a, Tensor b) => GradMode.IsEnabled && (a.RequiresGrad || b.RequiresGrad);

    /// <inheritdoc cref="ShouldRecord(Tensor)"/>
    internal static bool ShouldRecord(ReadOnlySpan<Tensor> inputs)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in inputs) if (t.RequiresGrad) return true;
        return false;
    }

    /// <summary>
    /// Records that <paramref name="result"/> was computed from <paramref name="inputs"/>, with the
    /// given backward rule. <paramref name="saved"/> lists the tensors the rule reads: modifying one
    /// of them in place before backward is then reported as an error naming this op.
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, BackwardFunction backward, params Tensor[] saved)
    {
        var next = new Node?[inputs.Length];
        var shapes = new int[inputs.Length][];
        var dtypes = new DType[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            next[i] = inputs[i].GradNode;
            shapes[i] = inputs[i].shape;
            dtypes[i] = inputs[i].DType;
        }
        var node = new Node(name, next, shapes, dtypes, backward, null);
        if (saved.Length > 0)
        {
            node.Saved = saved;
            node.SavedVersions = new int[saved.Length];
            for (int i = 0; i < saved.Length; i++) node.SavedVersions[i] = saved[i].storage.Version;
        }
        result.gradFn = node;
        RecyclingScope.OnRecord(node, result);
        if (GradMode.DetectsAnomalies) CheckForwardAnomaly(result, name, inputs);
        return result;
    }

    /// <summary>Under <c>Autograd.DetectAnomaly()</c>: an op whose inputs are finite but whose output is not is named.</summary>
    static void CheckForwardAnomaly(Tensor result, string name, Tensor[] inputs)
    {
        if (!result.DType.IsFloatingPoint() || result.IsFinite().All().Item<bool>()) return;
        foreach (var input in inputs)
            if (input.DType.IsFloatingPoint() && !input.IsFinite().All().Item<bool>()) return;
        string op = name.EndsWith("Backward0") || name.EndsWith("Backward1") ? name[..^"Backward0".Length] : name;
        throw new AutogradException($"DetectAnomaly: {op} produced NaN or Inf from finite inputs (output shape {result.Shape}).");
    }

    /// <summary>Throws if a saved tensor was modified in place since it was saved.</summary>
    internal void CheckSavedVersions()
    {
        if (Saved == null) return;
        for (int i = 0; i < Saved.Length; i++)
            if (Saved[i].storage.Version != SavedVersions![i])
                throw new AutogradException(
                    $"{Name}: one of the tensors needed for gradient computation (shape {Saved[i].Shape}) has been modified by an in-place operation " +
                    $"(version {Saved[i].storage.Version}, expected {SavedVersions[i]}). Use an out-of-place op or Clone() before modifying it.");
    }
}
