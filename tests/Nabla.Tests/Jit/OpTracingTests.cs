using Nabla.Jit;

namespace Nabla.Tests.Jit;

/// <summary>Each op with a trace hook (see <see cref="TracedOpCases"/>) traces into its node and, compiled, gives eager mode's values at another batch size.</summary>
public class OpTracingTests
{
    [Theory]
    [MemberData(nameof(TracedOpCases.Names), MemberType = typeof(TracedOpCases))]
    public void Traced_op_compiles_to_eager_values_at_another_batch_size(string name)
    {
        var (forward, op, example) = TracedOpCases.Create(name, batch: 3);
        var graph = Nabla.Jit.Jit.Trace(forward, example);
        Assert.Contains(graph.Nodes, n => n.Op == op);
        var compiled = new CompiledModule(GraphPasses.OptimizeForInference(graph));
        var input = TracedOpCases.Create(name, batch: 2).Input;
        Tensor expected;
        using (Autograd.NoGrad()) expected = forward(input);
        var actual = compiled.Call(input);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.True(expected.AllClose(actual, 1e-5, 1e-5), $"{name}: compiled {actual} differs from eager {expected}");
    }
}
