namespace Nabla.Bench;

/// <summary>
/// One benchmark job, named as in the anchors (<c>/work/shared/anchors/README.md</c>): <c>peak</c>, <c>gemm</c>,
/// later <c>ops</c>, <c>mlp</c>, <c>lenet</c>, <c>conv</c>, <c>lstm</c>, <c>resnet</c>. Adding a job is one file
/// implementing this interface plus one line in <see cref="Program"/>'s job table.
/// </summary>
internal interface IBenchJob
{
    /// <summary>The name given on the command line (the anchors' job name).</summary>
    string Name { get; }

    /// <summary>Runs the job, yielding each figure as soon as it is measured.</summary>
    IEnumerable<Figure> Run();
}
