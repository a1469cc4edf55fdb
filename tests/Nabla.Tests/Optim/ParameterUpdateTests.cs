using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>
/// Optimizers run their one element-wise rule in place over contiguous tensors and through a contiguous
/// copy over strided ones; both must end with the same values and state, bit for bit.
/// </summary>
public class ParameterUpdateTests
{
    public static TheoryData<string, Func<Tensor[], Optimizer>> Optimizers => new()
    {
        { "sgd", ps => new SGD(ps, lr: 0.1) },
        { "sgd_momentum_dampening_decay", ps => new SGD(ps, lr: 0.1, momentum: 0.9, dampening: 0.3, weightDecay: 0.01) },
        { "sgd_nesterov_maximize", ps => new SGD(ps, lr: 0.05, momentum: 0.8, nesterov: true, maximize: true) },
        { "adam", ps => new Adam(ps, lr: 0.01) },
        { "adam_amsgrad_decay_maximize", ps => new Adam(ps, lr: 0.01, weightDecay: 0.1, amsgrad: true, maximize: true) },
        { "adamw_amsgrad", ps => new AdamW(ps, lr: 0.02, betas: (0.8, 0.95), eps: 1e-6, weightDecay: 0.05, amsgrad: true) },
        { "adagrad_decay_maximize", ps => new Adagrad(ps, lr: 0.1, lrDecay: 0.1, weightDecay: 0.1, initialAccumulatorValue: 0.1, maximize: true) },
        { "rmsprop", ps => new RMSprop(ps, lr: 0.01) },
        { "rmsprop_centered_momentum_decay", ps => new RMSprop(ps, lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5, weightDecay: 0.1) },
        { "adadelta_decay_maximize", ps => new Adadelta(ps, lr: 0.5, rho: 0.5, eps: 1e-4, weightDecay: 0.1, maximize: true) },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Strided_and_contiguous_parameters_get_the_same_update_bit_for_bit(string name, Func<Tensor[], Optimizer> create)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var generator = new Generator(7);
            // 13 × 7 = 91 elements: full vectors plus a tail. The transposed copy is not contiguous, so its update goes through a copy.
            var values = Tensor.Randn([7, 13], dtype, generator);
            var contiguous = values.T.Contiguous().Detach().Clone().RequiresGrad_();
            var strided = values.Clone().T.RequiresGrad_();
            Assert.True(contiguous.IsContiguous);
            Assert.False(strided.IsContiguous);
            var fused = create([contiguous]);
            var unfused = create([strided]);
            for (int step = 0; step < 6; step++)
            {
                var grad = Tensor.Randn([13, 7], dtype, generator);
                contiguous.Grad = grad;
                strided.Grad = grad;
                fused.Step();
                unfused.Step();
                if (dtype == DType.Float32) Assert.Equal(strided.ToArray<float>(), contiguous.ToArray<float>());
                else Assert.Equal(strided.ToArray<double>(), contiguous.ToArray<double>());
            }
            foreach (var (key, value) in unfused.State[strided])
                Assert.True(value.Equal(fused.State[contiguous][key]), $"{name} ({dtype}): state {key} differs");
        }
    }
}
