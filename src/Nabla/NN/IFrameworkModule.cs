namespace Nabla.NN;

/// <summary>
/// Marks a module of Nabla's own libraries outside the core assembly (the vision zoo's residual blocks and
/// ResNet) that, like the core's layers, keeps no tensor beyond a forward call other than through autograd:
/// <see cref="Sequential"/> may then recycle the activations around it (see <see cref="RecyclingScope"/>).
/// A module that holds on to an output (GoogLeNet's auxiliary logits) must not carry it.
/// </summary>
internal interface IFrameworkModule;
