using Nabla.NN;

namespace Nabla.Text.Bert;

/// <summary>
/// d2l's <c>NextSentencePred</c> (§15.8): one Linear to two classes (1: the second sentence follows
/// the first) over the pooled <c>&lt;cls&gt;</c> vector. Parameters: <c>output</c> (Hugging Face's
/// <c>cls.seq_relationship</c>, whose class 0 is "is next": swap its rows when mapping).
/// Shape: [B, H] → [B, 2].
/// </summary>
public sealed class NextSentencePred : Module<Tensor, Tensor>
{
    /// <summary>Linear(H, 2).</summary>
    public Linear Output { get; }

    /// <summary>Creates the head over vectors of <paramref name="numInputs"/> features.</summary>
    public NextSentencePred(int numInputs) => Output = new Linear(numInputs, 2);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Output.Forward(input);
}
