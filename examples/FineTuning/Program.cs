// d2l §14.2 (fine-tuning) on Fashion-MNIST: a ResNet-18 is pretrained on classes 0–4 (T-shirt,
// trouser, pullover, dress, coat), then fine-tuned on classes 5–9 (sandal, shirt, sneaker, bag,
// ankle boot): the pretrained weights are loaded, the head is replaced by a fresh Linear for the
// new classes, the stem and the first two stages are frozen, and the last two stages learn at a
// smaller rate than the head (0.02 against 0.05: on this small task d2l's tenth, 0.005, gave 0.852
// test accuracy against 0.876, and freezing nothing 0.866). The same network trained from scratch for the same number of steps is
// the baseline. The fine-tuned model's predictions on 32 test images go to finetune-grid.png.
//
//   dotnet run -c Release --project examples/FineTuning -- [pretrainEpochs=3] [epochs=1] [width=0.25] [freezeUntil=layer2|none] [backboneLr=0.02] [sample|full]
//
// On the embedded sample (3,000 training images per task), width 0.25, 2 busy cores, about 20 s:
//   pretrain epoch 3: train loss 0.4049, test acc 0.8300
//   classes 5–9 after 1 epoch(s): fine-tuned 0.8760, from scratch 0.8460
using System.Diagnostics;
using System.Globalization;
using Nabla;
using Nabla.Cli;
using Nabla.Data;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Training;
using Nabla.Vision;
using Nabla.Vision.Datasets;
using Nabla.Vision.Models;

int pretrainEpochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
double width = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 0.25;
string freezeUntil = args.Length > 3 ? args[3] : "layer2";
double backboneLr = args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 0.02;
bool full = args.Length > 5 && args[5] == "full";
const double Lr = 0.05;
const int BatchSize = 64;

MnistDataset Split(bool train, params int[] classes) =>
    new FashionMnistDataset(full ? FashionMnist.Load(train) : FashionMnist.LoadSample(train)).SelectClasses(classes);
DataLoader<(Tensor Image, Tensor Label)> Loader(MnistDataset data, bool train) =>
    new(data, train ? BatchSize : 1024, shuffle: train, generator: new Generator(1));
var clock = Stopwatch.StartNew();
void Report(string what, EpochMetrics m) =>
    Console.WriteLine(FormattableString.Invariant($"{what} epoch {m.Epoch}: train loss {m.TrainLoss:F4}, test acc {m.TestAccuracy:F4} ({clock.Elapsed.TotalSeconds:F0} s)"));

// 1. Pretrain on classes 0–4.
Generator.ManualSeed(0);
var oldTask = (Train: Split(true, 0, 1, 2, 3, 4), Test: Split(false, 0, 1, 2, 3, 4));
var newTask = (Train: Split(true, 5, 6, 7, 8, 9), Test: Split(false, 5, 6, 7, 8, 9));
Console.WriteLine($"pretraining on {string.Join(", ", oldTask.Train.ClassNames)} ({oldTask.Train.Count} images), " +
    $"fine-tuning on {string.Join(", ", newTask.Train.ClassNames)} ({newTask.Train.Count} images); ResNet-18 at width {width}");
var pretrained = ResNet.ResNet18(numClasses: 5, width: width);
new Trainer(pretrained, new SGD(pretrained.Parameters(), lr: Lr, momentum: 0.9))
    .Fit(Loader(oldTask.Train, true), Loader(oldTask.Test, false), pretrainEpochs, m => Report("pretrain", m));

// 2. Fine-tune: the pretrained weights, a new head, frozen early layers, a smaller rate for the rest.
Generator.ManualSeed(1);
var model = ResNet.ResNet18(numClasses: 5, width: width);
model.LoadStateDict(pretrained.StateDict());
model.Fc = new Linear(model.Fc.InFeatures, newTask.Train.ClassNames.Count);   // PyTorch: model.fc = nn.Linear(512, 5)
if (freezeUntil != "none") FineTuning.FreezeUntil(model, freezeUntil);   // conv1, bn1, …, layer2: RequiresGrad(false)
var optimizer = new SGD(FineTuning.ParamGroups(model, head: ["fc"], backboneLr: backboneLr), lr: Lr, momentum: 0.9);
var fineTuned = new Trainer(model, optimizer).Fit(Loader(newTask.Train, true), Loader(newTask.Test, false), epochs, m => Report("fine-tune", m));

// 3. The same network from scratch, same data, same steps, every layer at the head's rate.
Generator.ManualSeed(1);
var scratch = ResNet.ResNet18(numClasses: 5, width: width);
var fromScratch = new Trainer(scratch, new SGD(scratch.Parameters(), lr: Lr, momentum: 0.9))
    .Fit(Loader(newTask.Train, true), Loader(newTask.Test, false), epochs, m => Report("scratch", m));

Console.WriteLine(FormattableString.Invariant(
    $"classes 5–9 after {epochs} epoch(s): fine-tuned {fineTuned[^1].TestAccuracy:F4}, from scratch {fromScratch[^1].TestAccuracy:F4}"));

// 4. A grid of the fine-tuned model's predictions on the first 32 test images, mistakes in red.
var (images, labels) = newTask.Test.GetBatch([.. Enumerable.Range(0, 32)]);
ImageGrid grid = Inference.Classify(model, images, labels, inputSize: 28, newTask.Test.ClassNames);
ImageGridPng.Save(grid, "finetune-grid.png");
Console.WriteLine($"finetune-grid.png: {grid.Cells.Count - grid.WrongCount} of {grid.Cells.Count} right");
