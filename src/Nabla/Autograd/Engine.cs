using System.Diagnostics;

// The autograd types live in namespace Nabla; see Node.cs.
namespace Nabla;

/// <summary>
/// Runs backward over the dynamic graph: orders the reachable nodes topologically (iteratively,
/// so graph depth is unlimited), calls each node's backward rule once with the sum of the
/// gradients that reached it, reduces broadcast gradients back to input shapes (the one place
/// where that happens), and accumulates into leaves or captures the gradients asked for.
/// </summary>
internal static class Engine
{
    public static void Backward(Tensor[] outputs, Tensor[]? gradOutputs, bool retainGraph, bool createGraph) =>
        Run(outputs, gradOutputs, retainGraph, createGraph, inputs: null, allowUnused: false);

    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor[]? gradOutputs, bool retainGraph, bool createGraph, bool allowUnused) =>
        Run(outputs, gradOutputs, retainGraph, createGraph, inputs, allowUnused)!;

    /// <summary>
    /// Whether the backward pass running on this thread keeps the graph (<c>retainGraph</c>): a node's backward
    /// rule may release buffers that only it reads (to a pool) when not, since it will not be called again.
    /// </summary>
    internal static bool RetainsGraph => retainsGraph;

    [ThreadStatic]
    static bool retainsGraph;

    /// <summary>
    /// Queues <paramref name="callback"/> to run when the outermost backward running on this thread
    /// ends (<c>Variable._execution_engine.queue_callback</c>): what a hook uses to finish work it
    /// started, such as waiting for gradient all-reduces. Callbacks are dropped if the backward fails.
    /// </summary>
    /// <exception cref="InvalidOperationException">No backward is running on this thread.</exception>
    internal static void QueueCallback(Action callback)
    {
        if (depth == 0) throw new InvalidOperationException("QueueCallback: no backward is running on this thread.");
        (callbacks ??= []).Add(callback);
    }

    [ThreadStatic]
    static int depth;

    [ThreadStatic]
    static List<Action>? callbacks;

    static Tensor?[]? Run(Tensor[] outputs, Tensor[]? gradOutputs, bool retainGraph, bool createGraph, Tensor[]? inputs, bool allowUnused)
    {
        bool outer = retainsGraph;
        retainsGraph = retainGraph;
        depth++;
        bool completed = false;
        try
        {
            var result = RunRetaining(outputs, gradOutputs, retainGraph, createGraph, inputs, allowUnused);
            completed = true;
            return result;
        }
        finally
        {
            retainsGraph = outer;
            if (--depth == 0 && callbacks is { } queued)
            {
                callbacks = null;
                for (int i = 0; completed && i < queued.Count; i++) queued[i]();
            }
        }
    }

    static Tensor?[]? RunRetaining(Tensor[] outputs, Tensor[]? gradOutputs, bool retainGraph, bool createGraph, Tensor[]? inputs, bool allowUnused)
    {
        if (gradOutputs != null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"Backward: got {outputs.Length} outputs but {gradOutputs.Length} gradients.");
        using var mode = GradMode.Set(createGraph);

        // Gradients made inside this backward go back to the buffer pool once consumed (not when the graph of the backward is kept).
        var buffers = new GradientBuffers(recycles: !createGraph);
        var order = TopologicalOrder(SeedOutputs(outputs, gradOutputs, buffers));
        var capture = inputs == null ? null : new Capture(inputs, order);

        foreach (var node in order)
        {
            if (!buffers.TryTake(node, out var grad)) continue;
            if (capture != null && !capture.Needed.Contains(node))
            {
                buffers.Release(grad);
                continue;
            }
            grad = Deliver(node, grad, createGraph, capture, buffers);
            if (node.Leaf is { } leaf)
            {
                if (capture == null)
                {
                    Accumulate(leaf, grad, createGraph, buffers);
                    if (node.PostAccumulateGradHooks != null)
                        foreach (var hook in node.PostAccumulateGradHooks.ToArray()) hook(leaf);
                }
                buffers.Release(grad);
                continue;
            }
            RunBackward(node, grad, retainGraph, capture, buffers);
        }

        if (capture == null) return null;
        for (int i = 0; i < inputs!.Length; i++)
            if (capture.Gradients[i] == null && !allowUnused)
                throw new AutogradException($"Grad: input {i} (shape {inputs[i].Shape}) was not used in the graph of the outputs; pass allowUnused: true to get null for it.");
        return capture.Gradients;
    }

    /// <summary>Puts each output's starting gradient (given, or 1 for a scalar) in its node's buffer; returns those nodes, the roots of the pass.</summary>
    static List<Node> SeedOutputs(Tensor[] outputs, Tensor[]? gradOutputs, GradientBuffers buffers)
    {
        var roots = new List<Node>(outputs.Length);
        for (int i = 0; i < outputs.Length; i++)
        {
            var output = outputs[i];
            var node = output.GradNode ?? throw new AutogradException(
                $"Backward: element {i} of the tensors (shape {output.Shape}) does not require grad and has no GradFn.");
            Tensor grad;
            if (gradOutputs?[i] is { } given)
            {
                if (!given.Shape.Equals(output.Shape))
                    throw new ShapeException($"Backward: gradient of shape {given.Shape} given for a tensor of shape {output.Shape}.");
                grad = given;
            }
            else if (output.NumElements == 1) grad = Tensor.OnesLike(output);
            else throw new AutogradException(
                $"Backward: a gradient can be implied only for scalar outputs; this tensor has shape {output.Shape}, pass gradient: explicitly.");
            buffers.Add(node, grad);
            roots.Add(node);
        }
        return roots;
    }

    /// <summary>For <c>Grad()</c>: the nodes whose gradient is asked for, the nodes that lead to one of them, and the gradients captured.</summary>
    sealed class Capture
    {
        public readonly Tensor[] Inputs;
        public readonly Dictionary<Node, int> Targets = new(ReferenceEqualityComparer.Instance);
        public readonly HashSet<Node> Needed = new(ReferenceEqualityComparer.Instance);
        public readonly Tensor?[] Gradients;

        public Capture(Tensor[] inputs, List<Node> order)
        {
            Inputs = inputs;
            for (int i = 0; i < inputs.Length; i++)
            {
                var node = inputs[i].GradNode ?? throw new AutogradException($"Grad: input {i} (shape {inputs[i].Shape}) does not require grad.");
                Targets.TryAdd(node, i);
            }
            for (int n = order.Count - 1; n >= 0; n--)
            {
                var node = order[n];
                bool leads = Targets.ContainsKey(node);
                foreach (var next in node.Next) leads |= next != null && Needed.Contains(next);
                if (leads) Needed.Add(node);
            }
            Gradients = new Tensor?[inputs.Length];
        }
    }

    /// <summary>Hands the node's summed gradient to whoever asked for it: tensor hooks (which may replace it), a retained gradient, <c>Grad()</c>'s capture.</summary>
    static Tensor Deliver(Node node, Tensor grad, bool createGraph, Capture? capture, GradientBuffers buffers)
    {
        if (node.Hooks != null)
        {
            buffers.Escape(grad); // a hook may keep the tensor it is given
            foreach (var hook in node.Hooks)
                grad = hook(grad) ?? grad;
            buffers.Escape(grad);
        }
        if (node.RetainTarget != null)
        {
            node.RetainTarget.Grad = createGraph ? grad : grad.Detach();
            buffers.Escape(grad);
        }
        if (capture != null && capture.Targets.ContainsKey(node))
            for (int i = 0; i < capture.Inputs.Length; i++)
                if (ReferenceEquals(capture.Inputs[i].GradNode, node))
                {
                    capture.Gradients[i] = createGraph ? grad : grad.Detach();
                    buffers.Escape(grad);
                }
        return grad;
    }

    /// <summary>Runs the node's backward rule and sends each input gradient to the next node's buffer; frees the rule's closure unless the graph is kept.</summary>
    static void RunBackward(Node node, Tensor grad, bool retainGraph, Capture? capture, GradientBuffers buffers)
    {
        var backward = node.Backward ?? throw new AutogradException(
            $"{node.Name}: trying to backward through the graph a second time (its saved tensors were freed after the first backward). " +
            "Pass retainGraph: true to the first Backward() if you need to backward twice.");
        node.CheckSavedVersions();
        long start = node.Timer is null ? 0 : Stopwatch.GetTimestamp();
        var inputGrads = backward(grad);
        if (GradMode.DetectsAnomalies) CheckFinite(node, inputGrads);
        for (int i = 0; i < node.Next.Length; i++)
        {
            var next = node.Next[i];
            if (next == null || i >= inputGrads.Length || inputGrads[i] is not { } inputGrad) continue;
            if (capture != null && !capture.Needed.Contains(next)) continue;
            buffers.Add(next, ReduceToInput(inputGrad, node.InputShapes[i], node.InputDTypes[i]));
        }
        // Whatever the rule returned that is not waiting in a buffer now (reduced or unused) is dead, and so is its input gradient.
        foreach (var inputGrad in inputGrads)
            if (inputGrad != null) buffers.Release(inputGrad, counted: false);
        buffers.Release(grad);
        node.Timer?.Add(Stopwatch.GetTimestamp() - start);
        if (!retainGraph)
        {
            node.Backward = null;
            node.Saved = null;
            if (node.BackwardScratch is { } scratch && !GradMode.IsEnabled) scratch.storage.Recycle();
            node.BackwardScratch = null;
            if (node.Scope != null) RecyclingScope.OnFreed(node);
        }
    }

    /// <summary>
    /// Leaves keep their own copy of the gradient: the incoming tensor may be shared with other
    /// branches. A first gradient that this backward made, that nothing else holds and that is laid
    /// out densely becomes the leaf's gradient as it is (PyTorch's AccumulateGrad steals it too).
    /// The leaf's gradient stays private to the framework until someone reads <c>Grad</c>.
    /// </summary>
    static void Accumulate(Tensor leaf, Tensor grad, bool createGraph, GradientBuffers buffers)
    {
        if (createGraph)
        {
            leaf.Grad = leaf.PrivateGrad is { } current ? current + grad : grad;
            return;
        }
        if (leaf.PrivateGrad is not { } existing)
        {
            if (buffers.IsSoleOwner(grad) && grad.offset == 0 && grad.IsContiguous && grad.storage.Length == grad.Count)
            {
                leaf.SetPrivateGrad(grad.Detach());
                buffers.Escape(grad);
            }
            else leaf.SetPrivateGrad(grad.Detach().Clone());
        }
        // Nobody else holds the gradient: add in place, as PyTorch's AccumulateGrad does when the
        // gradient's reference count allows. Otherwise a new tensor, so a kept reference keeps its values.
        else if (leaf.HasPrivateGrad && existing.IsContiguous && existing.DType == grad.DType && existing.shape.AsSpan().SequenceEqual(grad.shape))
            existing.Add_(grad);
        else leaf.SetPrivateGrad((existing + grad).Detach());
    }

    /// <summary>Sums a broadcast gradient back to its input's shape and casts it to the input's dtype.</summary>
    static Tensor ReduceToInput(Tensor grad, int[] shape, DType dtype)
    {
        if (!grad.shape.AsSpan().SequenceEqual(shape)) grad = grad.SumToShape(shape);
        return grad.DType == dtype ? grad : grad.To(dtype);
    }

    /// <summary>Kahn's algorithm from the roots: a node comes after every node that sends it a gradient.</summary>
    static List<Node> TopologicalOrder(List<Node> roots)
    {
        // Per-thread scratch collections: a backward allocates only the order it returns.
        var scratch = Scratch.Take();
        var (dependencies, stack, seen, ready) = (scratch.Dependencies, scratch.Stack, scratch.Seen, scratch.Ready);
        foreach (var root in roots) if (seen.Add(root)) stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var next in node.Next)
            {
                if (next == null) continue;
                dependencies[next] = dependencies.GetValueOrDefault(next) + 1;
                if (seen.Add(next)) stack.Push(next);
            }
        }
        var order = new List<Node>(seen.Count);
        foreach (var root in seen) if (!dependencies.ContainsKey(root)) ready.Enqueue(root);
        while (ready.Count > 0)
        {
            var node = ready.Dequeue();
            order.Add(node);
            foreach (var next in node.Next)
            {
                if (next == null) continue;
                if (--dependencies[next] == 0) ready.Enqueue(next);
            }
        }
        Scratch.Return(scratch);
        return order;
    }

    /// <summary>Reusable collections for <see cref="TopologicalOrder"/>, one set per thread (a nested backward takes a fresh set).</summary>
    sealed class Scratch
    {
        [ThreadStatic] static Scratch? cached;
        public readonly Dictionary<Node, int> Dependencies = new(ReferenceEqualityComparer.Instance);
        public readonly Stack<Node> Stack = new();
        public readonly HashSet<Node> Seen = new(ReferenceEqualityComparer.Instance);
        public readonly Queue<Node> Ready = new();

        public static Scratch Take()
        {
            var scratch = cached ?? new Scratch();
            cached = null;
            return scratch;
        }

        public static void Return(Scratch scratch)
        {
            // Keep small sets only, so that one huge graph does not pin its memory forever.
            if (scratch.Seen.Count > 4096) return;
            scratch.Dependencies.Clear();
            scratch.Stack.Clear();
            scratch.Seen.Clear();
            scratch.Ready.Clear();
            cached = scratch;
        }
    }

    static void CheckFinite(Node node, Tensor?[] grads)
    {
        foreach (var g in grads)
            if (g != null && g.DType.IsFloatingPoint() && !g.IsFinite().All().Item<bool>())
                throw new AutogradException($"DetectAnomaly: {node.Name} returned a gradient containing NaN or Inf (shape {g.Shape}).");
    }
}
