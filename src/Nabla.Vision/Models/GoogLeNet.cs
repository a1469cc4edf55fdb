using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// GoogLeNet (Szegedy et al., 2015) with torchvision's submodule names (<c>conv1</c>,
/// <c>maxpool1</c>, … <c>inception3a</c> … <c>inception5b</c>, <c>aux1</c>, <c>aux2</c>,
/// <c>avgpool</c>, <c>dropout</c>, <c>fc</c>). The constructor builds the course's version (d2l §8.4:
/// no BatchNorm, convolutions with bias, 5×5 third paths, 3×3 stride-2 padding-1 max-pools);
/// <see cref="Torchvision"/> builds <c>torchvision.models.googlenet</c>. With
/// <c>auxLogits</c> the two auxiliary classifiers (after inception4a and inception4d) run in training
/// mode only, in <see cref="ForwardWithAux"/>, which returns their logits too.
/// Shape: [N, inChannels, 224, 224] → [N, numClasses] (any H, W ≥ 1; aux heads pool to 4×4).
/// </summary>
public sealed class GoogLeNet : Module<Tensor, Tensor>, IAuxiliaryLogits
{
    // Declared in torchvision's attribute order: fields register first, in declaration order, so this
    // is the order of NamedChildren() (what FineTuning.FreezeUntil counts along) and of the state dict.
    readonly Module<Tensor, Tensor> conv1, maxpool1, conv2, conv3, maxpool2;
    readonly Inception inception3a, inception3b;
    readonly Module<Tensor, Tensor> maxpool3;
    readonly Inception inception4a, inception4b, inception4c, inception4d, inception4e;
    readonly Module<Tensor, Tensor> maxpool4;
    readonly Inception inception5a, inception5b;

    /// <summary>First auxiliary classifier (after inception4a), or null.</summary>
    public InceptionAux? Aux1 { get; }

    /// <summary>Second auxiliary classifier (after inception4d), or null.</summary>
    public InceptionAux? Aux2 { get; }

    readonly AdaptiveAvgPool2d avgpool = new(1);
    readonly Dropout dropout;

    /// <summary>
    /// Output layer. Setting it replaces the head, as <c>model.fc = nn.Linear(1024, k)</c> in
    /// PyTorch (fine-tuning on other classes).
    /// </summary>
    public Linear Fc
    {
        get => (Linear)GetModule("fc")!;
        set => RegisterModule("fc", value ?? throw new ArgumentNullException(nameof(value), "GoogLeNet.Fc: the output layer cannot be null."));
    }

    /// <summary>The course's GoogLeNet.</summary>
    /// <param name="inChannels">Input channels (1 for Fashion-MNIST).</param>
    /// <param name="numClasses">Number of outputs.</param>
    /// <param name="width">Multiplies every channel count.</param>
    /// <param name="auxLogits">Add the two auxiliary classifiers (used in training only).</param>
    /// <param name="dropout">Dropout before the output layer (the course has none).</param>
    public GoogLeNet(int inChannels = 1, int numClasses = 10, double width = 1.0, bool auxLogits = false, double dropout = 0.0)
        : this(inChannels, numClasses, width, auxLogits, dropout, torchvision: false) { }

    /// <summary>
    /// <c>torchvision.models.googlenet</c> (BasicConv2d with BatchNorm, 3×3 third paths, ceil-mode
    /// pools, dropout 0.2); state-dict keys and shapes match torchvision's.
    /// </summary>
    public static GoogLeNet Torchvision(int numClasses = 1000, bool auxLogits = true, int inChannels = 3) =>
        new(inChannels, numClasses, 1.0, auxLogits, 0.2, torchvision: true);

    GoogLeNet(int inChannels, int numClasses, double width, bool auxLogits, double dropout, bool torchvision)
    {
        int W(int c) => ModelWidth.Scale(c, width);
        bool bn = torchvision;
        int k3 = torchvision ? 3 : 5;
        Module<Tensor, Tensor> Pool(int kernelSize) => torchvision
            ? new MaxPool2d(kernelSize, stride: 2, ceilMode: true)
            : new MaxPool2d(3, stride: 2, padding: 1);
        Inception Block(int cin, int c1, int c2r, int c2, int c3r, int c3, int c4) =>
            new(cin, W(c1), (W(c2r), W(c2)), (W(c3r), W(c3)), W(c4), bn, k3, ceilModePool: torchvision);

        conv1 = new BasicConv2d(inChannels, W(64), 7, stride: 2, padding: 3, batchNorm: bn);
        maxpool1 = Pool(3);
        conv2 = new BasicConv2d(W(64), W(64), 1, batchNorm: bn);
        conv3 = new BasicConv2d(W(64), W(192), 3, padding: 1, batchNorm: bn);
        maxpool2 = Pool(3);
        inception3a = Block(W(192), 64, 96, 128, 16, 32, 32);
        inception3b = Block(inception3a.OutChannels, 128, 128, 192, 32, 96, 64);
        maxpool3 = Pool(3);
        inception4a = Block(inception3b.OutChannels, 192, 96, 208, 16, 48, 64);
        inception4b = Block(inception4a.OutChannels, 160, 112, 224, 24, 64, 64);
        inception4c = Block(inception4b.OutChannels, 128, 128, 256, 24, 64, 64);
        inception4d = Block(inception4c.OutChannels, 112, 144, 288, 32, 64, 64);
        inception4e = Block(inception4d.OutChannels, 256, 160, 320, 32, 128, 128);
        maxpool4 = Pool(2);
        inception5a = Block(inception4e.OutChannels, 256, 160, 320, 32, 128, 128);
        inception5b = Block(inception5a.OutChannels, 384, 192, 384, 48, 128, 128);
        if (auxLogits)
        {
            Aux1 = new InceptionAux(inception4a.OutChannels, numClasses, width, bn);
            Aux2 = new InceptionAux(inception4d.OutChannels, numClasses, width, bn);
        }
        this.dropout = new Dropout(dropout);
        var fc = new Linear(inception5b.OutChannels, numClasses);

        // Registration order = torchvision's attribute order, so StateDict() lists keys as it does.
        RegisterModule("conv1", conv1);
        RegisterModule("maxpool1", maxpool1);
        RegisterModule("conv2", conv2);
        RegisterModule("conv3", conv3);
        RegisterModule("maxpool2", maxpool2);
        RegisterModule("inception3a", inception3a);
        RegisterModule("inception3b", inception3b);
        RegisterModule("maxpool3", maxpool3);
        RegisterModule("inception4a", inception4a);
        RegisterModule("inception4b", inception4b);
        RegisterModule("inception4c", inception4c);
        RegisterModule("inception4d", inception4d);
        RegisterModule("inception4e", inception4e);
        RegisterModule("maxpool4", maxpool4);
        RegisterModule("inception5a", inception5a);
        RegisterModule("inception5b", inception5b);
        RegisterModule("aux1", Aux1);
        RegisterModule("aux2", Aux2);
        RegisterModule("avgpool", avgpool);
        RegisterModule("dropout", this.dropout);
        RegisterModule("fc", fc);
    }

    /// <summary>
    /// Main logits, plus the auxiliary heads' logits when the model has them and is training
    /// (null otherwise), as torchvision's <c>GoogLeNetOutputs</c>.
    /// </summary>
    public (Tensor Logits, Tensor? Aux1, Tensor? Aux2) ForwardWithAux(Tensor input) => Run(input, Training && Aux1 is not null);

    /// <summary>
    /// <see cref="ForwardWithAux"/> as <see cref="IAuxiliaryLogits"/>: the heads' logits in training
    /// mode when the model has them, none otherwise. <c>Trainer</c> adds 0.3 × each head's loss.
    /// </summary>
    public (Tensor Logits, IReadOnlyList<Tensor> AuxLogits) ForwardWithAuxLogits(Tensor input)
    {
        var (logits, aux1, aux2) = ForwardWithAux(input);
        return (logits, aux1 is null || aux2 is null ? [] : [aux1, aux2]);
    }

    /// <summary>Main logits; the auxiliary heads are skipped (use <see cref="ForwardWithAux"/> to train with them).</summary>
    public override Tensor Forward(Tensor input) => Run(input, aux: false).Logits;

    (Tensor Logits, Tensor? Aux1, Tensor? Aux2) Run(Tensor input, bool aux)
    {
        var x = maxpool2.Call(conv3.Call(conv2.Call(maxpool1.Call(conv1.Call(input)))));
        x = maxpool3.Call(inception3b.Call(inception3a.Call(x)));
        x = inception4a.Call(x);
        var aux1 = aux ? Aux1!.Call(x) : null;
        x = inception4d.Call(inception4c.Call(inception4b.Call(x)));
        var aux2 = aux ? Aux2!.Call(x) : null;
        x = maxpool4.Call(inception4e.Call(x));
        x = inception5b.Call(inception5a.Call(x));
        x = dropout.Call(avgpool.Call(x).Flatten(1));
        return (Fc.Call(x), aux1, aux2);
    }
}
