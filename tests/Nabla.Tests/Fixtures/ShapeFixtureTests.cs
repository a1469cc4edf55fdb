namespace Nabla.Tests.Fixtures;

/// <summary>Views, joins and splits, indexing, gather/scatter and friends against PyTorch.</summary>
public sealed class ShapeFixtureTests
{
    internal const string Family = "shape";

    public static TheoryData<string> Cases => FixtureLoader.Names(Family);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name) => Run(name, device: null);

    /// <summary>Runs case <paramref name="name"/> with its inputs on <paramref name="device"/> (the default device when null).</summary>
    internal static void Run(string name, Device? device)
    {
        var run = new FixtureRun(FixtureLoader.Case(Family, name), device: device);
        run.Check(Compute(run));
    }

    static Tensor[] Compute(FixtureRun r)
    {
        var c = r.Case;
        return c.Op switch
        {
            "view" => [r.T(0).View(c.Ints("shape"))],
            "reshape" => [r.T(0).Reshape(c.Ints("shape"))],
            "flatten" => [r.T(0).Flatten(c.Int("start_dim", 0), c.Int("end_dim", -1))],
            "permute" => [r.T(0).Permute(c.Ints("dims"))],
            "transpose" => [r.T(0).Transpose(c.Int("dim0"), c.Int("dim1"))],
            "t" => [r.T(0).T],
            "squeeze" => [c.Has("dim") ? r.T(0).Squeeze(c.Int("dim")) : r.T(0).Squeeze()],
            "unsqueeze" => [r.T(0).Unsqueeze(c.Int("dim"))],
            "expand" => [r.T(0).Expand(c.Ints("shape"))],
            "narrow" => [r.T(0).Narrow(c.Int("dim"), c.Int("start"), c.Int("length"))],
            "getitem" => [NablaBridge.GetItem(r)],
            "contiguous" => [r.T(0).Contiguous()],
            "clone" => [r.T(0).Clone()],
            "cat" => [Tensor.Cat(r.Tensors, c.Int("dim", 0))],
            "stack" => [Tensor.Stack(r.Tensors, c.Int("dim", 0))],
            "split" => c.IsList("split_size_or_sections")
                ? r.T(0).Split(c.Ints("split_size_or_sections"), c.Int("dim", 0))
                : r.T(0).Split(c.Int("split_size_or_sections"), c.Int("dim", 0)),
            "chunk" => r.T(0).Chunk(c.Int("chunks"), c.Int("dim", 0)),
            "gather" => [r.T(0).Gather(c.Int("dim"), r.T(1))],
            "scatter" => [r.Count == 3 ? r.T(0).Scatter(c.Int("dim"), r.T(1), r.T(2)) : r.T(0).Scatter(c.Int("dim"), r.T(1), c.Double("value"))],
            "scatter_add" => [r.T(0).ScatterAdd(c.Int("dim"), r.T(1), r.T(2))],
            "index_select" => [r.T(0).IndexSelect(c.Int("dim"), r.T(1))],
            "masked_fill" => [r.T(0).MaskedFill(r.T(1), c.Raw("value").ValueKind is System.Text.Json.JsonValueKind.True ? 1 : c.Raw("value").ValueKind is System.Text.Json.JsonValueKind.False ? 0 : c.Double("value"))],
            "where" => [NablaBridge.Where(r)],
            "one_hot" => [r.T(0).OneHot(c.Int("num_classes", -1))],
            "repeat" => [r.T(0).Repeat(c.Ints("sizes"))],
            var op => throw new NotSupportedException($"{c.Name}: no Nabla mapping for op '{op}'."),
        };
    }
}
