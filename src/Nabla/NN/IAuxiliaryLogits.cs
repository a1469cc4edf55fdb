namespace Nabla.NN;

/// <summary>
/// A classifier with auxiliary heads that help train its lower layers, such as GoogLeNet's two
/// <c>InceptionAux</c> classifiers (torchvision's <c>aux_logits=True</c>). The heads count in
/// training only: <see cref="Training.Trainer"/> adds each head's loss, weighted, to the main loss
/// (<see cref="Training.Trainer.AuxLossWeight"/>), while evaluation uses the main logits alone.
/// </summary>
public interface IAuxiliaryLogits
{
    /// <summary>
    /// The main logits and, when the model has auxiliary heads and is in training mode, the logits
    /// of each head (otherwise an empty list). Shape: input → ([N, classes], k × [N, classes]).
    /// </summary>
    (Tensor Logits, IReadOnlyList<Tensor> AuxLogits) ForwardWithAuxLogits(Tensor input);
}
