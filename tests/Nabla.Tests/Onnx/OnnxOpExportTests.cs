using Nabla.Tests.Jit;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Onnx;

/// <summary>The ops with trace hooks (<see cref="TracedOpCases"/>) exported to ONNX and run in OnnxRuntime give Nabla's eager values.</summary>
public class OnnxOpExportTests
{
    [Theory]
    [MemberData(nameof(TracedOpCases.Names), MemberType = typeof(TracedOpCases))]
    public void Exported_op_runs_in_OnnxRuntime_like_eager(string name)
    {
        var (forward, _, example) = TracedOpCases.Create(name, batch: 3);
        var path = Path.Combine(Path.GetTempPath(), $"nabla-op-{name}-{Guid.NewGuid():N}.onnx");
        try
        {
            Nabla.Onnx.Onnx.Export(new TracedOpCases.Function(forward), example, path);
            var input = TracedOpCases.Create(name, batch: 2).Input;
            Tensor expected;
            using (Autograd.NoGrad()) expected = forward(input);
            var actual = OnnxRuntimeRunner.Run(path, input)[0];
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.True(expected.AllClose(actual, 1e-4, 1e-4), $"{name}: OnnxRuntime gives {actual}, eager {expected}");
        }
        finally { File.Delete(path); }
    }
}
