using System.Numerics;
using Nabla.Backends.Cpu;

namespace Nabla.Jit;

// The planned kernels: each step reads its operands' buffers (storage and offset; the shapes are the plan's) and writes
// into the buffer planned for its output, through the CPU kernels' pointer entry points, which open parallel regions
// without allocating. Ops, dtypes or layouts these steps do not cover run as an InterpretedStep.
internal sealed partial class ExecutionPlan
{
    Step? PlanStep(GraphNode node, Slot?[] ins, Slot[] outs, HashSet<GraphValue> graphOutputs, BufferPlanner buffers, int index)
    {
        var output = outs[0].Value;
        bool floating = output.DType is DType.Float32 or DType.Float64 && outs.Length == 1
            && ins.All(s => s is null || s.Value.DType == output.DType && (!s.Fixed || s.Tensor!.IsContiguous));
        int[] shape = output.ConcreteShape(Batch);
        switch (node.Op)
        {
            case GraphOps.Reshape when floating && ins[0]!.Fixed:
                // A view of a planned buffer or constant, made once.
                var source = ins[0]!.Tensor!;
                outs[0].Tensor = Tensor.OfStrided(source.storage, shape, Shape.ContiguousStrides(shape), source.offset);
                outs[0].Fixed = true;
                buffers.Share(ins[0]!.Value, output);
                return null;
            case GraphOps.Reshape when floating && ins[0]!.FromInput && !graphOutputs.Contains(output):
                outs[0].FromInput = true;
                return new AliasStep(ins[0]!, outs[0]);
            case GraphOps.Linear or GraphOps.LinearActivation when floating && ins[1]!.Fixed && (ins.Length < 3 || ins[2] is null || ins[2]!.Fixed):
                {
                    int inFeatures = ins[1]!.Value.Shape[1], outFeatures = ins[1]!.Value.Shape[0];
                    var step = new LinearStep(ins[0]!, ins[1]!.Tensor!, ins.Length > 2 ? ins[2]?.Tensor : null, Plan(outs[0], shape, buffers, index),
                        Shape.CheckedNumel(shape, "Linear") / Math.Max(1, outFeatures), inFeatures, outFeatures, Activation(node), Epilogue(node));
                    return step;
                }
            case GraphOps.Conv2d or GraphOps.Conv2dActivation when floating && ins[1]!.Fixed && (ins.Length < 3 || ins[2] is null || ins[2]!.Fixed):
                {
                    int[] x = ins[0]!.Value.ConcreteShape(Batch), w = ins[1]!.Value.Shape;
                    int[] stride = node.Attribute<int[]>("stride"), padding = node.Attribute<int[]>("padding"), dilation = node.Attribute<int[]>("dilation");
                    var g = new Conv2dGeometry(x[0], x[1], x[2], x[3], w[0], w[2], w[3], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], node.Attribute<int>("groups"));
                    return new ConvolutionStep(ins[0]!, ins[1]!.Tensor!, ins.Length > 2 ? ins[2]?.Tensor : null, Plan(outs[0], shape, buffers, index), g, Activation(node));
                }
            case GraphOps.AvgPool2d or GraphOps.MaxPool2d when floating && ins[0]!.Value.Shape.Length == 4:
                {
                    int[] x = ins[0]!.Value.ConcreteShape(Batch);
                    int[] kernel = node.Attribute<int[]>("kernel_size"), stride = node.Attribute<int[]>("stride"), padding = node.Attribute<int[]>("padding");
                    int[] dilation = node.Op == GraphOps.MaxPool2d ? node.Attribute<int[]>("dilation") : [1, 1];
                    var g = new Pool2dGeometry(x[0], x[1], x[2], x[3], kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
                        dilation[0], dilation[1], node.Attribute<bool>("ceil_mode"));
                    var result = Plan(outs[0], shape, buffers, index);
                    if (node.Op == GraphOps.MaxPool2d)
                        return new MaxPoolStep(ins[0]!, result, g, Tensor.Uninitialized(shape, DType.Int64, "MaxPool2d"));
                    return new AvgPoolStep(ins[0]!, result, g, node.Attribute<bool>("count_include_pad"), node.Attribute<int>("divisor_override"));
                }
            case GraphOps.ElementwiseChain or GraphOps.Relu or GraphOps.Sigmoid or GraphOps.Tanh or GraphOps.Neg or GraphOps.Exp when floating:
                {
                    string[] ops = node.Op == GraphOps.ElementwiseChain ? node.Attribute<string>("ops").Split(',') : [node.Op];
                    return new ElementwiseStep(ins[0]!, Plan(outs[0], shape, buffers, index), FusedKernels.ChainOps(ops));
                }
            default:
                // The interpreter's result may be a view of a planned buffer (a permute, a slice): that buffer then lives as long as it.
                foreach (var input in ins)
                    if (input != null)
                        foreach (var result in outs) buffers.Share(input.Value, result.Value);
                return new InterpretedStep(node, ins, outs, Batch);
        }
    }

    /// <summary>A planned buffer for <paramref name="slot"/>'s value, fixed in the slot.</summary>
    static Slot Plan(Slot slot, int[] shape, BufferPlanner buffers, int index)
    {
        slot.Tensor = buffers.Allocate(slot.Value, shape, index);
        slot.Fixed = true;
        return slot;
    }

    /// <summary>The GEMM store epilogue for a fused node's activation (None when it has none, or one the GEMM cannot apply).</summary>
    static GemmActivation Epilogue(GraphNode node) =>
        node.Attributes.TryGetValue("activation", out var name) ? FusedKernels.EpilogueOf((string)name) : GemmActivation.None;

    static Backends.ChainOp[]? Activation(GraphNode node) => node.Attributes.TryGetValue("activation", out var name) ? FusedKernels.ChainOps([(string)name]) : null;

    /// <summary>A slot's tensor as a contiguous operand (a non-contiguous result of an interpreted step is copied).</summary>
    static Tensor Operand(Slot slot)
    {
        var tensor = slot.Tensor!;
        return tensor.IsContiguous ? tensor : tensor.Contiguous();
    }

    /// <summary>A reshape of the caller's input: downstream planned kernels read the same buffer with the plan's shapes.</summary>
    sealed class AliasStep(Slot input, Slot output) : Step
    {
        public override void Run() => output.Tensor = input.Tensor;

        public void Clear() => output.Tensor = null;
    }

    /// <summary>
    /// y = activation(x Wᵀ + b) by the CPU backend's linear kernel: one GEMM (or, for one or two rows, GEMV) whose store adds
    /// the bias and applies ReLU/sigmoid/tanh; another activation runs in place after it.
    /// </summary>
    sealed unsafe class LinearStep(Slot input, Tensor weight, Tensor? bias, Slot output, int rows, int inFeatures, int outFeatures, Backends.ChainOp[]? activation,
        GemmActivation epilogue) : Step
    {
        public override void Run()
        {
            var x = Operand(input);
            var y = output.Tensor!;
            if (y.DType == DType.Float32) Run<float>(x, y);
            else Run<double>(x, y);
            if (activation != null && epilogue == GemmActivation.None) FusedKernels.ApplyChain(y, y, activation);
        }

        void Run<T>(Tensor x, Tensor y) where T : unmanaged, INumber<T>
        {
            fixed (T* px = x.HostData<T>(), pw = weight.HostData<T>(), pb = bias is null ? null : bias.HostData<T>(), py = y.HostData<T>())
                CpuBackend.Linear(px + x.offset, inFeatures, 1, pw + weight.offset, inFeatures, 1, bias is null ? null : pb + bias.offset, epilogue,
                    py + y.offset, rows, outFeatures, inFeatures);
        }
    }

    /// <summary>y = activation(conv(x, W) + b) into the planned buffer.</summary>
    sealed unsafe class ConvolutionStep(Slot input, Tensor weight, Tensor? bias, Slot output, Conv2dGeometry geometry, Backends.ChainOp[]? activation) : Step
    {
        public override void Run()
        {
            var x = Operand(input);
            var y = output.Tensor!;
            if (y.DType == DType.Float32)
                fixed (float* px = x.HostData<float>(), pw = weight.HostData<float>(), pb = bias?.HostData<float>(), py = y.HostData<float>())
                    Convolution.Conv2dForward(geometry, px + x.offset, pw + weight.offset, bias is null ? null : pb + bias.offset, py + y.offset);
            else
                fixed (double* px = x.HostData<double>(), pw = weight.HostData<double>(), pb = bias?.HostData<double>(), py = y.HostData<double>())
                    Convolution.Conv2dForward(geometry, px + x.offset, pw + weight.offset, bias is null ? null : pb + bias.offset, py + y.offset);
            if (activation != null) FusedKernels.ApplyChain(y, y, activation);
        }
    }

    /// <summary>Average pooling into the planned buffer.</summary>
    sealed unsafe class AvgPoolStep(Slot input, Slot output, Pool2dGeometry geometry, bool countIncludePad, int divisorOverride) : Step
    {
        public override void Run()
        {
            var x = Operand(input);
            var y = output.Tensor!;
            if (y.DType == DType.Float32)
                fixed (float* px = x.HostData<float>(), py = y.HostData<float>())
                    Pooling.AvgPool2dForward(geometry, px + x.offset, py + y.offset, countIncludePad, divisorOverride);
            else
                fixed (double* px = x.HostData<double>(), py = y.HostData<double>())
                    Pooling.AvgPool2dForward(geometry, px + x.offset, py + y.offset, countIncludePad, divisorOverride);
        }
    }

    /// <summary>Max pooling into the planned buffer; the argmax positions go to a planned scratch tensor nobody reads.</summary>
    sealed unsafe class MaxPoolStep(Slot input, Slot output, Pool2dGeometry geometry, Tensor indices) : Step
    {
        public override void Run()
        {
            var x = Operand(input);
            var y = output.Tensor!;
            fixed (long* pi = indices.HostData<long>())
            {
                if (y.DType == DType.Float32)
                    fixed (float* px = x.HostData<float>(), py = y.HostData<float>())
                        Pooling.MaxPool2dForward(geometry, px + x.offset, py + y.offset, pi);
                else
                    fixed (double* px = x.HostData<double>(), py = y.HostData<double>())
                        Pooling.MaxPool2dForward(geometry, px + x.offset, py + y.offset, pi);
            }
        }
    }

    /// <summary>A chain of unary ops (or one) in one pass into the planned buffer.</summary>
    sealed class ElementwiseStep(Slot input, Slot output, Backends.ChainOp[] ops) : Step
    {
        public override void Run() => FusedKernels.ApplyChain(Operand(input), output.Tensor!, ops);
    }

    /// <summary>An op without a planned kernel: runs through the interpreter's kernel (which allocates its results).</summary>
    sealed class InterpretedStep(GraphNode node, Slot?[] inputs, Slot[] outputs, int batch) : Step
    {
        readonly NodeKernel kernel = GraphInterpreter.KernelOf(node);
        readonly Tensor?[] arguments = new Tensor?[inputs.Length];

        public override void Run()
        {
            for (int i = 0; i < inputs.Length; i++)
                arguments[i] = inputs[i] is { } slot ? Actual(slot, batch) : null;
            Tensor[] results;
            using (Autograd.NoGrad()) results = kernel(node, arguments, batch);
            for (int i = 0; i < results.Length; i++) outputs[i].Tensor = results[i];
            Array.Clear(arguments);
        }

        public void Clear()
        {
            foreach (var slot in outputs) if (!slot.Fixed) slot.Tensor = null;
        }
    }

    /// <summary>A slot's tensor with its value's shape (an alias of the input has the input's shape until reshaped here).</summary>
    static Tensor Actual(Slot slot, int batch)
    {
        var tensor = slot.Tensor!;
        if (!slot.FromInput || slot.Value.Kind == ValueKind.Input) return tensor;
        var shape = slot.Value.ConcreteShape(batch);
        return tensor.Shape.SequenceEqual(shape) ? tensor : tensor.Reshape(shape);
    }
}
