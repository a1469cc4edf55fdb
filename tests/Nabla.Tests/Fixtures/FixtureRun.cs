using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Nabla.Tests.Fixtures;

/// <summary>
/// A case made live: its inputs built as Nabla tensors (bases with requires-grad, views applied)
/// or kept as scalars, and the checks of outputs and gradients against PyTorch.
/// </summary>
public sealed class FixtureRun
{
    readonly Tensor?[] bases;
    readonly Tensor?[] operands;
    readonly Device? device;

    /// <summary>Builds the inputs of <paramref name="fixtureCase"/>, on <paramref name="device"/> when given (else the default device).</summary>
    public FixtureRun(FixtureCase fixtureCase, double toleranceScale = 1, Device? device = null)
    {
        Case = fixtureCase;
        this.device = device;
        ToleranceScale = toleranceScale;
        bases = new Tensor?[fixtureCase.Inputs.Count];
        operands = new Tensor?[fixtureCase.Inputs.Count];
        for (int i = 0; i < bases.Length; i++)
            if (fixtureCase.Inputs[i].Tensor is { } spec)
            {
                bases[i] = spec.BuildBase(device);
                operands[i] = spec.ApplyView(bases[i]!);
            }
    }

    /// <summary>The case being run.</summary>
    public FixtureCase Case { get; }

    /// <summary>Multiplies the tolerances (reductions and linear algebra accumulate rounding error).</summary>
    public double ToleranceScale { get; set; }

    /// <summary>Number of inputs.</summary>
    public int Count => operands.Length;

    /// <summary>Input <paramref name="i"/> as a tensor (its view, when it has one).</summary>
    public Tensor T(int i) => operands[i] ?? throw new InvalidOperationException($"{Case.Name}: input {i} is a scalar, not a tensor.");

    /// <summary>True when input <paramref name="i"/> is a Python scalar.</summary>
    public bool IsScalar(int i) => operands[i] is null;

    /// <summary>Input <paramref name="i"/> as a scalar value.</summary>
    public double S(int i) => Case.Inputs[i].Scalar;

    /// <summary>"int", "float" or "bool" for a scalar input.</summary>
    public string ScalarType(int i) => Case.Inputs[i].ScalarType!;

    /// <summary>All tensor inputs, in order (for cat/stack).</summary>
    public Tensor[] Tensors => [.. operands.Select((t, i) => t ?? throw new InvalidOperationException($"{Case.Name}: input {i} is a scalar."))];

    /// <summary>Checks a single-output op's result (and gradients when the case has them).</summary>
    public void Check(Tensor output) => Check([output]);

    /// <summary>
    /// Checks each output's dtype, shape and values; then, when the case has gradients, runs backward
    /// with the case's grad_output(s) and checks the gradient of every base input that requires grad.
    /// <paramref name="compareOutput"/> may replace the comparison of output i (e.g. eigenvectors up to sign).
    /// </summary>
    public void Check(IReadOnlyList<Tensor> outputs, Action<int, Tensor, FixtureTensor>? compareOutput = null)
    {
        Assert.True(outputs.Count == Case.Outputs.Count,
            $"{Case.Name}: Nabla returned {outputs.Count} outputs, PyTorch {Case.Outputs.Count}.");
        for (int i = 0; i < outputs.Count; i++)
        {
            var expected = Case.Outputs[i]!;
            if (compareOutput != null) compareOutput(i, outputs[i], expected);
            else FixtureAssert.Close(outputs[i], expected, $"{Case.Name}: output {i}", ToleranceScale);
        }
        if (Case.Grads is null) return;

        var roots = new List<Tensor>();
        var rootGrads = new List<Tensor>();
        for (int i = 0; i < outputs.Count; i++)
            if (Case.GradOutputs![i] is { } g)
            {
                roots.Add(outputs[i]);
                rootGrads.Add(g.ToTensor(device));
            }
        var leaves = new List<Tensor>();
        var expectedGrads = new List<(int Input, FixtureTensor Grad)>();
        for (int i = 0; i < bases.Length; i++)
            if (Case.Grads[i] is { } g)
            {
                leaves.Add(bases[i]!);
                expectedGrads.Add((i, g));
            }
        var grads = NablaBridge.Backward(roots, rootGrads, leaves);
        for (int k = 0; k < leaves.Count; k++)
        {
            var (input, expected) = expectedGrads[k];
            var actual = grads[k] ?? NablaBridge.ZerosLike(leaves[k]);
            FixtureAssert.Close(actual, expected, $"{Case.Name}: grad of input {input}", ToleranceScale);
        }
    }
}
