namespace Nabla.NN;

// Losses. Each returns the per-element losses reduced by `reduction` (mean by default). Input and
// target must have the same shape where PyTorch would broadcast with a warning: a [N, 1] output
// against a [N] target is the classic silent bug, so it is an error here.
public static partial class Functional
{
    /// <summary>(x − y)² (<c>F.mse_loss</c>). Shape: input and target the same shape → scalar, or that shape for <see cref="Reduction.None"/>.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape("MseLoss", input, target);
        return Reduce((input - target).Square(), reduction, "MseLoss");
    }

    /// <summary>|x − y| (<c>F.l1_loss</c>). Shape as <see cref="MseLoss"/>.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckSameShape("L1Loss", input, target);
        return Reduce((input - target).Abs(), reduction, "L1Loss");
    }

    /// <summary>
    /// Huber loss (<c>F.huber_loss</c>): with z = |x − y|, ½z² where z &lt; δ, else δ(z − ½δ).
    /// Shape as <see cref="MseLoss"/>.
    /// </summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        CheckSameShape("HuberLoss", input, target);
        if (!(delta > 0)) throw new ArgumentException($"HuberLoss: delta must be positive, got {delta}.", nameof(delta));
        var difference = input - target;
        var z = difference.Abs();
        var loss = Tensor.Where(z.Lt(delta), 0.5 * difference.Square(), delta * (z - 0.5 * delta));
        return Reduce(loss, reduction, "HuberLoss");
    }

    /// <summary>
    /// Smooth L1 loss (<c>F.smooth_l1_loss</c>): with z = |x − y|, ½z²/β where z &lt; β, else z − ½β;
    /// β = 0 gives the L1 loss. Huber with δ = β equals β times this. Shape as <see cref="MseLoss"/>.
    /// </summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        CheckSameShape("SmoothL1Loss", input, target);
        if (beta < 0) throw new ArgumentException($"SmoothL1Loss: beta must be non-negative, got {beta}.", nameof(beta));
        if (beta == 0) return L1Loss(input, target, reduction);
        var difference = input - target;
        var z = difference.Abs();
        var loss = Tensor.Where(z.Lt(beta), 0.5 / beta * difference.Square(), z - 0.5 * beta);
        return Reduce(loss, reduction, "SmoothL1Loss");
    }

    /// <summary>
    /// Cross-entropy of logits against class indices or class probabilities (<c>F.cross_entropy</c>):
    /// log-softmax over the class dim (one fused op), then the negative log-likelihood, picked by
    /// <see cref="Tensor.Gather"/> for index targets (no one-hot matrix).
    /// </summary>
    /// <param name="input">Logits: [N, C], [N, C, d₁, …], or [C] for one sample.</param>
    /// <param name="target">Int64 class indices of shape [N] / [N, d₁, …] / [] (values in [0, C) or <paramref name="ignoreIndex"/>),
    /// or floating class probabilities of the input's shape.</param>
    /// <param name="weight">Per-class weights [C]. With index targets the mean is weighted: Σ wᵧᵢ·lossᵢ / Σ wᵧᵢ.</param>
    /// <param name="ignoreIndex">Index-target value that contributes neither loss nor gradient, and is left out of the mean.</param>
    /// <param name="reduction">Mean (default), Sum or None (one loss per sample: shape [N] / [N, d₁, …]).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target becomes (1 − ε)·target + ε/C.</param>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
    {
        const string op = "CrossEntropy";
        CheckFloating(op, "input", input);
        if (input.Rank == 0) throw new ShapeException($"{op}: input must have a class dim, got a scalar.");
        if (labelSmoothing is < 0 or > 1) throw new ArgumentException($"{op}: labelSmoothing must be in [0, 1], got {labelSmoothing}.", nameof(labelSmoothing));
        CheckReduction(op, reduction);
        int classDim = input.Rank == 1 ? 0 : 1;
        int classes = input.Size(classDim);
        CheckClassWeight(op, weight, classes);
        // The common case, [N, C] logits and N class indices, unweighted and unsmoothed, is one fused op (Ops/CrossEntropy.cs).
        if (weight is null && labelSmoothing == 0 && input.Rank == 2 && target.DType == DType.Int64 && target.Rank == 1 && target.Size(0) == input.Size(0))
            return Tensor.SoftmaxCrossEntropy(input, target, ignoreIndex, reduction);
        var logProbabilities = input.LogSoftmax(classDim);

        if (target.DType.IsFloatingPoint())
        {
            // Probability targets: loss = −Σ_c w_c·t_c·log p_c; the mean is over samples (numel / C), unweighted.
            if (target.Shape != input.Shape)
                throw new ShapeException($"{op}: probability targets must have the input's shape {input.Shape}, got {target.Shape}.");
            var smoothed = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / classes : target;
            var terms = logProbabilities * smoothed;
            if (weight != null) terms = terms * ClassView(weight, input.Rank, classDim);
            return reduction switch
            {
                Reduction.None => -terms.Sum(classDim),
                Reduction.Sum => -terms.Sum(),
                _ => -terms.Sum() / (input.NumElements / classes),
            };
        }

        var nll = NllLossCore(op, logProbabilities, target, weight, ignoreIndex, reduction);
        if (labelSmoothing == 0) return nll;
        // Label smoothing with index targets (PyTorch's formula): (1 − ε)·nll + ε/C·smooth, where
        // smooth = −Σ_c w_c·log p_c per sample, 0 at ignored samples, and its mean uses nll's denominator.
        var ignored = target.Eq(ignoreIndex);
        var smooth = weight != null
            ? -(logProbabilities * ClassView(weight, input.Rank, classDim)).Sum(classDim)
            : -logProbabilities.Sum(classDim);
        smooth = smooth.MaskedFill(ignored, 0);
        var reducedSmooth = reduction switch
        {
            Reduction.None => smooth,
            Reduction.Sum => smooth.Sum(),
            _ => smooth.Sum() / TargetWeights(target, weight, ignored, input.DType).Sum(),
        };
        return (1 - labelSmoothing) * nll + labelSmoothing / classes * reducedSmooth;
    }

    /// <summary>
    /// Negative log-likelihood of log-probabilities (<c>F.nll_loss</c>): lossᵢ = −w_{yᵢ}·input[i, yᵢ],
    /// 0 where yᵢ = <paramref name="ignoreIndex"/>; the mean is Σ lossᵢ / Σ w_{yᵢ} over the kept samples.
    /// Shape: input [N, C] / [N, C, d₁, …] / [C], target Int64 [N] / [N, d₁, …] / [] → scalar, or the target's shape for None.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) =>
        NllLossCore("NllLoss", input, target, weight, ignoreIndex, reduction);

    // op: the public function called, for error messages.
    static Tensor NllLossCore(string op, Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction)
    {
        CheckFloating(op, "input", input);
        CheckReduction(op, reduction);
        if (input.Rank == 0) throw new ShapeException($"{op}: input must have a class dim, got a scalar.");
        if (target.DType != DType.Int64)
            throw new DTypeException($"{op}: class-index targets must be Int64, got {target.DType} (shape {target.Shape}).");
        int classDim = input.Rank == 1 ? 0 : 1;
        int[] expected = [.. input.Shape.Where((_, i) => i != classDim)];
        if (!target.Shape.SequenceEqual(expected))
            throw new ShapeException($"{op}: target of shape {target.Shape} does not match input of shape {input.Shape}; expected target shape [{string.Join(", ", expected)}].");
        CheckClassWeight(op, weight, input.Size(classDim));
        var ignored = target.Eq(ignoreIndex);
        // Ignored positions pick class 0 and then get weight 0, so Gather never sees the ignore value.
        var safeTarget = target.MaskedFill(ignored, 0);
        var picked = input.Gather(classDim, safeTarget.Unsqueeze(classDim)).Squeeze(classDim);
        var weights = TargetWeights(target, weight, ignored, input.DType);
        var loss = -picked * weights;
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.Sum(),
            _ => loss.Sum() / weights.Sum(),
        };
    }

    /// <summary>w_{yᵢ} for each target (1 without class weights), 0 where the target is ignored.</summary>
    static Tensor TargetWeights(Tensor target, Tensor? weight, Tensor ignored, DType dtype)
    {
        if (weight is null) return ignored.LogicalNot().To(dtype);
        var safeTarget = target.MaskedFill(ignored, 0);
        var picked = weight.Detach().To(dtype).IndexSelect(0, safeTarget.Reshape(-1)).Reshape(target.Shape.ToArray());
        return picked.MaskedFill(ignored, 0);
    }

    /// <summary>Per-class weights [C] reshaped to broadcast along the class dim of a rank-<paramref name="rank"/> input.</summary>
    static Tensor ClassView(Tensor weight, int rank, int classDim)
    {
        var shape = Enumerable.Repeat(1, rank).ToArray();
        shape[classDim] = weight.Size(0);
        return weight.Reshape(shape);
    }

    static void CheckClassWeight(string op, Tensor? weight, int classes)
    {
        if (weight != null && (weight.Rank != 1 || weight.Size(0) != classes))
            throw new ShapeException($"{op}: weight must have shape [{classes}] (one per class), got {weight.Shape}.");
    }

    static void CheckReduction(string op, Reduction reduction)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum))
            throw new ArgumentException($"{op}: reduction {reduction} is not supported (use None, Mean or Sum).", nameof(reduction));
    }

    /// <summary>
    /// Binary cross-entropy of probabilities (<c>F.binary_cross_entropy</c>):
    /// −w·[y·log x + (1 − y)·log(1 − x)], each log clamped at −100 as PyTorch does so that x = 0 or 1 stays finite.
    /// Shape: input and target the same shape, weight broadcastable to it.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string op = "BinaryCrossEntropy";
        CheckSameShape(op, input, target);
        CheckFloating(op, "input", input);
        var loss = -(target * input.Log().Clamp(min: -100) + (1 - target) * (1 - input).Log().Clamp(min: -100));
        if (weight != null) loss = loss * weight;
        return Reduce(loss, reduction, op);
    }

    /// <summary>
    /// Binary cross-entropy of logits (<c>F.binary_cross_entropy_with_logits</c>), stable for any x:
    /// with p = posWeight, loss = (1 − y)·x + (1 + (p − 1)·y)·log(1 + e⁻ˣ), where
    /// log(1 + e⁻ˣ) = m + log(e⁻ᵐ + e⁻ˣ⁻ᵐ), m = max(−x, 0), never overflows.
    /// Shape: input and target the same shape; weight broadcastable to it; posWeight broadcastable along the last dim (one per class).
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null,
        Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        const string op = "BinaryCrossEntropyWithLogits";
        CheckSameShape(op, input, target);
        CheckFloating(op, "input", input);
        var m = (-input).Clamp(min: 0);
        var softplusOfNegative = m + ((-m).Exp() + (-input - m).Exp()).Log();
        var logWeight = posWeight is null ? null : (posWeight - 1) * target + 1;
        var loss = (1 - target) * input + (logWeight is null ? softplusOfNegative : logWeight * softplusOfNegative);
        if (weight != null) loss = loss * weight;
        return Reduce(loss, reduction, op);
    }

    /// <summary>
    /// Kullback–Leibler divergence KL(target ‖ input) with the input given as log-probabilities
    /// (<c>F.kl_div</c>): y·(log y − x), taken as 0 where y = 0; with <paramref name="logTarget"/>
    /// the target is log y too: e^y·(y − x). Use <see cref="Reduction.BatchMean"/> for the true KL
    /// per sample; <see cref="Reduction.Mean"/> divides by every element, as PyTorch's default does.
    /// Shape: input and target the same shape.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        const string op = "KlDiv";
        CheckSameShape(op, input, target);
        Tensor loss;
        if (logTarget) loss = target.Exp() * (target - input);
        else
        {
            // y·log y with 0·log 0 = 0 (xlogy): log is taken of 1 where y = 0.
            var targetLogTarget = target * Tensor.Where(target.Gt(0), target, 1.0).Log();
            loss = targetLogTarget - target * input;
        }
        if (reduction == Reduction.BatchMean)
            return input.Rank == 0 ? loss.Sum() : loss.Sum() / input.Size(0);
        return Reduce(loss, reduction, op);
    }
}
