
namespace Nabla;

/// <summary>
/// An n-dimensional array with a dtype, living on a device, that can record the operations
/// applied to it for automatic differentiation — Nabla's <c>torch.Tensor</c>.
/// A tensor is a view: a shared <see cref="Storage"/> plus shape, strides and an offset, so
/// <see cref="View(int[])"/>, <see cref="Transpose"/>, slicing and friends copy nothing.
/// Tensors are ordinary managed objects: the garbage collector frees them, no <c>Dispose</c> needed.
/// </summary>
public partial class Tensor
{
    internal readonly Storage storage;
    internal readonly int[] shape;
    internal readonly int[] strides;
    internal readonly int offset;

    internal Node? gradFn;
    bool requiresGrad;

    // The tensor this one is a view of (the first of a chain of views), null for one that is not a
    // view: in-place writes through a view of a leaf that requires grad are refused like writes to the leaf.
    Tensor? viewBase;
    Node? gradAccumulator;

    /// <summary>True for tensors made from C# scalars (<c>x * 2.0</c>): they take part in type
    /// promotion with a lower priority than tensors, like Python numbers in PyTorch.</summary>
    internal bool IsWrappedNumber { get; private init; }

    private protected Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /// <summary>A new contiguous tensor over a fresh buffer whose contents the caller will overwrite.</summary>
    internal static Tensor Uninitialized(int[] shape, DType dtype, string op = "Tensor", Device? device = null) =>
        new(Storage.AllocateUninitialized(dtype, Shape.CheckedNumel(shape, op), device), shape, Shape.ContiguousStrides(shape), 0);

    /// <summary>A view of <paramref name="storage"/> with the given layout (no checks: for backends).</summary>
    internal static Tensor View(Storage storage, int[] shape, int[] strides, int offset) => new(storage, shape, strides, offset);

    /// <summary>A new contiguous tensor over an existing storage.</summary>
    internal static Tensor OfStorage(Storage storage, int[] shape) => new(storage, shape, Shape.ContiguousStrides(shape), 0);

    /// <summary>A view of an existing storage with the given strides and offset; the caller has checked that every element it reaches is inside the storage.</summary>
    internal static Tensor OfStrided(Storage storage, int[] shape, int[] strides, int offset) => new(storage, shape, strides, offset);

    internal static Tensor Scalar(double value, DType dtype, bool wrapped = false)
    {
        var storage = Storage.Allocate(dtype, 1);
        var t = new Tensor(storage, [], [], 0) { IsWrappedNumber = wrapped };
        t.SetFlat(0, value);
        return t;
    }

    /// <summary>The sizes of the dimensions (<c>tensor.shape</c>).</summary>
    public Shape Shape => Shape.Wrap(shape);

    /// <summary>Number of dimensions (<c>tensor.dim()</c>).</summary>
    public int Rank => shape.Length;

    /// <summary>Size of one dimension; negative dims count from the end.</summary>
    public int Size(int dim) => shape[Shape.NormalizeDim(dim, Rank, "Size")];

    /// <summary>Number of elements (<c>tensor.numel()</c>).</summary>
    public long NumElements => Shape.NumElements;

    internal int Count => (int)Shape.NumElements;

    /// <summary>The element type.</summary>
    public DType DType => storage.DType;

    /// <summary>Where the data lives, and so which backend computes on it (<c>tensor.device</c>).</summary>
    public Device Device => storage.Device;

    /// <summary>Strides in elements (<c>tensor.stride()</c>).</summary>
    public int[] Strides => (int[])strides.Clone();

    /// <summary>Index of element 0 in the storage (<c>tensor.storage_offset()</c>).</summary>
    public int StorageOffset => offset;

    /// <summary>True when the elements are laid out row-major without gaps.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (shape[i] == 1) continue;
                if (strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
    }

    /// <summary>True when this tensor and <paramref name="other"/> share a storage.</summary>
    public bool SharesStorageWith(Tensor other) => ReferenceEquals(storage, other.storage);

    // ---------------------------------------------------------------- autograd state

    /// <summary>
    /// Whether autograd records operations on this tensor. Settable on leaves only (tensors that no
    /// recorded op produced), like <c>requires_grad_</c>.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad || gradFn != null;
        set
        {
            if (gradFn != null && !value)
                throw new AutogradException($"RequiresGrad: can only change the flag of leaf tensors; this one was produced by {gradFn.Name}. Use Detach() instead.");
            if (value && !DType.IsFloatingPoint())
                throw new DTypeException($"RequiresGrad: only floating-point tensors can require gradients, got {DType}.");
            requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining (<c>requires_grad_()</c>).</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    Tensor? grad;

    // True while grad is a tensor autograd made and nobody has read it through Grad since: no
    // reference can exist outside the framework, so autograd may accumulate into it in place and
    // ZeroGrad may recycle its buffer (PyTorch decides the same from the tensor's reference count).
    bool gradIsPrivate;

    /// <summary>The gradient accumulated by <see cref="Backward"/> (leaves, and tensors that called <see cref="RetainGrad"/>).</summary>
    public Tensor? Grad
    {
        get
        {
            gradIsPrivate = false;
            return grad;
        }
        set
        {
            grad = value;
            gradIsPrivate = false;
        }
    }

    /// <summary>The gradient, read by framework code that keeps no reference to it (it stays private).</summary>
    internal Tensor? PrivateGrad => grad;

    /// <summary>Whether <see cref="PrivateGrad"/> was made by autograd and never handed out.</summary>
    internal bool HasPrivateGrad => gradIsPrivate && grad != null;

    /// <summary>Sets a gradient that autograd made and that nothing else references.</summary>
    internal void SetPrivateGrad(Tensor value)
    {
        grad = value;
        gradIsPrivate = true;
    }

    /// <summary>
    /// Drops the gradient (<c>grad = None</c>); a private one's buffer goes back to
    /// <see cref="BufferPool"/>, so the next backward reuses it.
    /// </summary>
    internal void ClearGrad()
    {
        if (HasPrivateGrad) grad!.storage.Recycle();
        grad = null;
        gradIsPrivate = false;
    }

    /// <summary>The graph node that produced this tensor, or null for leaves.</summary>
    public Node? GradFn => gradFn;

    /// <summary>True when no recorded operation produced this tensor.</summary>
    public bool IsLeaf => gradFn == null;

    /// <summary>
    /// The node where gradients for this tensor arrive: its <see cref="GradFn"/>, or for a leaf
    /// that requires grad, its gradient accumulator. Null when the tensor needs no gradient.
    /// </summary>
    internal Node? GradNode => gradFn ?? (requiresGrad ? gradAccumulator ??= Node.Accumulator(this) : null);

    /// <summary>Keeps the gradient of a non-leaf tensor in <see cref="Grad"/> after backward.</summary>
    public void RetainGrad()
    {
        storage.Pinned = true; // whoever retains the gradient may read the tensor after backward too
        if (gradFn == null)
        {
            if (!requiresGrad) throw new AutogradException("RetainGrad: the tensor does not require grad.");
            return; // leaves keep their gradient anyway
        }
        gradFn.RetainTarget = this;
    }

    /// <summary>
    /// Registers a function called with this tensor's gradient during backward; if it returns a
    /// tensor, that replaces the gradient (<c>register_hook</c>).
    /// </summary>
    public void RegisterHook(Func<Tensor, Tensor?> hook)
    {
        var node = GradNode ?? throw new AutogradException("RegisterHook: cannot register a hook on a tensor that does not require grad.");
        (node.Hooks ??= []).Add(hook);
    }

    /// <summary>
    /// Registers <paramref name="hook"/>, called with this leaf during backward right after its gradient
    /// has been accumulated into <see cref="Grad"/> (<c>register_post_accumulate_grad_hook</c>): the
    /// moment a parameter's gradient for this backward is complete, which is when data-parallel
    /// training starts sending it. Returns a handle that unregisters the hook.
    /// </summary>
    /// <exception cref="AutogradException">This tensor is not a leaf that requires grad.</exception>
    public NN.RemovableHandle RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (gradFn != null || !requiresGrad)
            throw new AutogradException("RegisterPostAccumulateGradHook: only leaf tensors that require grad accumulate gradients; " +
                (gradFn != null ? $"this one was produced by {gradFn.Name}." : "this one does not require grad."));
        var hooks = GradNode!.PostAccumulateGradHooks ??= [];
        hooks.Add(hook);
        return new NN.RemovableHandle(() => hooks.Remove(hook));
    }

    /// <summary>
    /// Computes the gradient of this tensor with respect to the graph leaves and accumulates it in
    /// their <see cref="Grad"/>. A non-scalar tensor needs <paramref name="gradient"/> (the
    /// vector in the vector-Jacobian product).
    /// </summary>
    /// <param name="gradient">d(loss)/d(this); defaults to 1 for a scalar.</param>
    /// <param name="retainGraph">Keep the saved tensors so that backward can run again.</param>
    /// <param name="createGraph">Record the backward pass itself, for higher-order derivatives.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Engine.Backward([this], gradient is null ? null : [gradient], retainGraph || createGraph, createGraph);

    /// <summary>A tensor sharing this one's data but cut from the graph (<c>detach()</c>).</summary>
    public Tensor Detach() => new(storage, shape, strides, offset);

    /// <summary>Detaches this tensor from the graph in place: it becomes a leaf that does not require grad.</summary>
    public Tensor Detach_()
    {
        gradFn = null;
        requiresGrad = false;
        return this;
    }

    /// <summary>Raises the storage's version: called by every in-place write.</summary>
    internal void BumpVersion() => storage.Version++;
}
