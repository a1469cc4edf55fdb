using Nabla.NN;

namespace Nabla.Onnx;

/// <summary>
/// A level of an imported model's parameter tree: initializer <c>layer1.0.conv1.weight</c> is parameter <c>weight</c>
/// of scope <c>conv1</c> in scope <c>0</c> in scope <c>layer1</c>, so the imported module's state-dict keys are the
/// exporter's names. It computes nothing itself.
/// </summary>
internal sealed class OnnxScope : Module;
