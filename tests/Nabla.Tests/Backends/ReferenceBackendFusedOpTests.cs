using Nabla.Jit;
using Nabla.Optim;
using static Nabla.Tests.Backends.ReferenceBackendTests;

namespace Nabla.Tests.Backends;

/// <summary>
/// The fused ops behind the backend interface — dropout, scaled dot-product attention, the recurrent cells and whole
/// sequences, linear algebra, a compiled graph's elementwise chains and an optimizer step — agree on the CPU backend and
/// the scalar reference backend, outputs and gradients, on inputs that take the CPU kernels' parallel and tiled paths.
/// </summary>
public class ReferenceBackendFusedOpTests
{
    static readonly Device Reference = Device.Reference;

    static Tensor R(DType dtype, int seed, params int[] shape) => Random(dtype, seed, shape).To(Device.Cpu);

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Dropout_keeps_the_same_elements_and_its_gradient_agrees(DType dtype)
    {
        const int large = 70_001; // above the CPU backend's parallel threshold, odd tail
        OutputAndGradientsAgree("dropout", dtype, x => x[0].DropoutWithSeed(0.3, 0x5EEDUL), R(dtype, 1, large));
        var dropped = R(dtype, 2, large).To(Reference).DropoutWithSeed(0.3, 0x5EEDUL).ToArray<double>();
        double zeros = dropped.Count(v => v == 0) / (double)large;
        Assert.InRange(zeros, 0.29, 0.31);
    }

    [Theory, InlineData(false, false, 0.0), InlineData(true, false, 0.0), InlineData(false, true, 0.0), InlineData(false, false, 0.2)]
    public void Fused_attention_and_its_gradients_agree(bool causal, bool masked, double dropoutP)
    {
        // 4-D [N, H, L, E] read in place by the CPU kernel, 70 keys (more than one tile row), a mask broadcast over the batch.
        var query = R(DType.Float32, 3, 2, 3, 37, 8);
        var key = R(DType.Float32, 4, 2, 3, 70, 8);
        var value = R(DType.Float32, 5, 2, 3, 70, 6);
        var mask = masked ? R(DType.Float32, 6, 37, 70) : null;
        OutputAndGradientsAgree($"attention causal={causal} masked={masked} p={dropoutP}", DType.Float32,
            x => Tensor.FusedAttention(x[0], x[1], x[2], mask?.To(x[0].Device), causal, 0.35, dropoutP, new Generator(7)), query, key, value);
        // 3-D operands (a contiguous copy on the CPU) with queries that see no key: output and gradient 0.
        var hidden = Tensor.Full([5, 4], double.NegativeInfinity, DType.Float32);
        OutputAndGradientsAgree("attention, 3-D, a fully masked row", DType.Float32,
            x => Tensor.FusedAttention(x[0], x[1], x[2], Tensor.Cat([hidden, Tensor.Zeros([5, 4])], 0).Narrow(0, 3, 5).To(x[0].Device), false, 0.5),
            R(DType.Float32, 8, 2, 5, 3), R(DType.Float32, 9, 2, 4, 3), R(DType.Float32, 10, 2, 4, 2));
    }

    public static TheoryData<string, bool, DType> RecurrentCases()
    {
        var data = new TheoryData<string, bool, DType>();
        foreach (var mode in Enum.GetNames<RecurrentMode>())
            foreach (bool reverse in new[] { false, true })
                foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                    data.Add(mode, reverse, dtype);
        return data;
    }

    [Theory, MemberData(nameof(RecurrentCases))]
    public void Recurrent_sequence_and_its_gradients_agree(string modeName, bool reverse, DType dtype)
    {
        var mode = Enum.Parse<RecurrentMode>(modeName);
        int steps = 5, batch = 3, inputSize = 4, hidden = 6, gates = mode switch { RecurrentMode.GRU => 3, RecurrentMode.LSTM => 4, _ => 1 } * hidden;
        bool lstm = mode == RecurrentMode.LSTM;
        Tensor[] inputs = [R(dtype, 11, steps, batch, inputSize), R(dtype, 12, batch, hidden), R(dtype, 13, batch, hidden),
            R(dtype, 14, gates, inputSize) * 0.5, R(dtype, 15, gates, hidden) * 0.5, R(dtype, 16, gates) * 0.1, R(dtype, 17, gates) * 0.1];
        OutputAndGradientsAgree($"{mode} reverse={reverse}", dtype,
            x => Tensor.RecurrentSequence(mode, x[0], x[1], lstm ? x[2] : null, x[3], x[4], x[5], x[6], reverse) + x[2].Sum() * 0, inputs);
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Lstm_and_gru_cells_and_their_gradients_agree(DType dtype)
    {
        OutputAndGradientsAgree("LSTM cell", dtype, x => Tensor.LstmCell(x[0], x[1]), R(dtype, 18, 5, 4 * 7), R(dtype, 19, 5, 7));
        OutputAndGradientsAgree("GRU cell", dtype, x => Tensor.GruCell(x[0], x[1], x[2]), R(dtype, 20, 5, 3 * 7), R(dtype, 21, 5, 3 * 7), R(dtype, 22, 5, 7));
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Linear_algebra_and_its_gradients_agree(DType dtype)
    {
        var a = R(dtype, 23, 3, 5, 5) + Tensor.Eye(5, dtype: dtype) * 3; // well conditioned
        OutputAndGradientsAgree("inv", dtype, x => Linalg.Inv(x[0]), a);
        OutputAndGradientsAgree("det", dtype, x => Linalg.Det(x[0]), a);
        OutputAndGradientsAgree("solve", dtype, x => Linalg.Solve(x[0], x[1]), a, R(dtype, 24, 3, 5, 2));
        var symmetric = R(dtype, 25, 2, 6, 6);
        symmetric = symmetric + symmetric.MT;
        OutputAndGradientsAgree("eigh values", dtype, x => Linalg.EigH(x[0]).Eigenvalues, symmetric);
        OutputAndGradientsAgree("eigh vectors", dtype, x => Linalg.EigH(x[0]).Eigenvectors, symmetric);
        var singular = Tensor.From(new double[] { 1, 2, 2, 4 }).Reshape(2, 2).To(dtype);
        foreach (var device in new[] { Device.Cpu, Reference })
        {
            Assert.Contains("singular", Assert.Throws<ArgumentException>(() => Linalg.Inv(singular.To(device))).Message);
            Assert.Equal(0.0, Linalg.Det(singular.To(device)).Item());
        }
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void Compiled_elementwise_chains_agree(DType dtype)
    {
        var x = R(dtype, 26, 70_001);
        const string chain = "Relu,Neg,Exp,Sigmoid,Tanh";
        Agree(FusedKernels.ElementwiseChain(x, chain), FusedKernels.ElementwiseChain(x.To(Reference), chain), dtype == DType.Float32 ? 2e-5 : 1e-12, chain);
        Agree(FusedKernels.Activate(x.Clone(), "Sigmoid"), FusedKernels.Activate(x.To(Reference), "Sigmoid"), dtype == DType.Float32 ? 2e-5 : 1e-12, "in place");
    }

    [Theory, InlineData(DType.Float32), InlineData(DType.Float64)]
    public void An_optimizer_step_agrees(DType dtype)
    {
        Tensor Steps(Device device)
        {
            var p = R(dtype, 27, 70_001).To(device).RequiresGrad_();
            var optimizer = new Adam([p], lr: 0.01, weightDecay: 0.1, amsgrad: true);
            for (int step = 0; step < 3; step++)
            {
                optimizer.ZeroGrad();
                (p * p * p).Sum().Backward();
                optimizer.Step();
            }
            return p.Detach();
        }
        Agree(Steps(Device.Cpu), Steps(Reference), dtype == DType.Float32 ? 1e-6 : 1e-12, "Adam");
    }
}
