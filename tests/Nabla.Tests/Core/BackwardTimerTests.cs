using Nabla.NN;

namespace Nabla.Tests.Core;

/// <summary>BackwardTimer: backward time of the graph nodes recorded while a timer was entered.</summary>
public class BackwardTimerTests
{
    [Fact]
    public void Timer_counts_the_backward_of_the_nodes_recorded_inside_it_only()
    {
        var first = new Linear(64, 64);
        var second = new Linear(64, 8);
        var x = Tensor.Randn(16, 64);
        var timer = new BackwardTimer("second");
        var idle = new BackwardTimer("idle");

        var hidden = first.Call(x).Relu();                       // not timed
        Tensor y;
        using (timer.Enter()) y = second.Call(hidden);           // timed: the linear layer's nodes
        using (idle.Enter()) { }
        int recorded = CountNodes(y.GradFn!, stopAt: hidden.GradFn!);
        y.Sum().Backward();                                       // SumBackward is outside: not timed

        Assert.Equal("second", timer.Name);
        Assert.Equal(recorded, timer.NodeCount);
        Assert.True(timer.NodeCount >= 1);
        Assert.True(timer.Elapsed > TimeSpan.Zero);
        Assert.Equal(0, idle.NodeCount);
        Assert.Equal(TimeSpan.Zero, idle.Elapsed);
        Assert.NotNull(first.Weight.Grad); // backward itself is unchanged

        timer.Reset();
        Assert.Equal((0, TimeSpan.Zero), (timer.NodeCount, timer.Elapsed));
    }

    [Fact]
    public void Nested_timers_give_each_node_to_the_innermost_and_restore_the_outer()
    {
        var a = Tensor.Randn([8], requiresGrad: true);
        var outer = new BackwardTimer("outer");
        var inner = new BackwardTimer("inner");
        Tensor y;
        using (outer.Enter())
        {
            var b = a * 2;                                   // outer
            using (inner.Enter()) b = b.Exp();               // inner
            y = (b + 1).Sum();                               // outer: add and sum
        }
        y.Backward();

        Assert.Equal(1, inner.NodeCount);
        Assert.Equal(3, outer.NodeCount);
    }

    // Nodes between y's and stop's (exclusive), following the graph's edges.
    private static int CountNodes(Node from, Node stopAt)
    {
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>([from]);
        while (stack.Count > 0)
        {
            Node node = stack.Pop();
            if (ReferenceEquals(node, stopAt) || node.Name == "AccumulateGrad" || !seen.Add(node)) continue;
            foreach (Node? next in node.NextFunctions)
                if (next is not null) stack.Push(next);
        }
        return seen.Count;
    }
}
