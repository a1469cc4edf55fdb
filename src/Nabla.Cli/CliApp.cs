using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Nabla.Cli;

/// <summary>The <c>nabla</c> command line: <c>train</c>, <c>eval</c>, <c>predict</c>, <c>generate</c>, <c>models</c>, <c>summary</c>.</summary>
public static class CliApp
{
    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <param name="args">The arguments after <c>nabla</c>.</param>
    /// <param name="stdout">Standard output (results; the JSON line of <c>--json</c>).</param>
    /// <param name="stderr">Standard error (errors; progress under <c>--json</c>).</param>
    /// <param name="stop">Set by Ctrl-C to stop training after the current batch; none when null.</param>
    /// <returns>The exit status: 0 on success, 1 on an error, 130 when training was stopped by Ctrl-C.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, StopSignal? stop = null)
    {
        stop ??= new StopSignal();
        Command root = BuildCommand(stdout, stderr, stop);
        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null };
        ParseResult parse = root.Parse(args);
        return parse.Errors.Count > 0 ? ParseErrors.Report(parse, stderr) : parse.Invoke(configuration);
    }

    /// <summary>Builds the command tree; the actions write to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    public static Command BuildCommand(TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        // A plain Command named "nabla" rather than RootCommand, whose name is the assembly's (Nabla.Cli).
        var root = new Command("nabla", "Train and run the course's Fashion-MNIST models, character language model and translation models with Nabla (deep learning in pure C#).")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };
        root.Add(TrainCommand(stdout, stderr, stop));
        root.Add(EvalCommand(stdout, stderr));
        root.Add(PredictCommand(stdout, stderr));
        root.Add(GenerateCommand(stdout, stderr));
        root.Add(TranslateCommand.Build(stdout, stderr, Guarded));
        root.Add(ExportCommand(stdout, stderr));
        root.Add(ModelsCommand(stdout));
        root.Add(SummaryCommand(stdout, stderr));
        root.Add(BertCommands.Embed(stdout, stderr));
        root.Add(ImportCommand.Build(stdout, stderr, Guarded));
        GanCommands.AddTo(root, stdout, stderr, stop);
        root.Add(StyleCommand.Build(stdout, stderr, stop));
        return root;
    }

    // The image models of the catalog; with withCharLm, also the character language model (train only).
    private static Argument<string> ModelArgument(bool withCharLm = false)
    {
        string names = withCharLm ? $"{ModelCatalog.Names}, {CharLmRun.ModelName}, {Seq2SeqRun.ModelName}" : ModelCatalog.Names;
        var model = new Argument<string>("model") { Description = $"The model: {names}." };
        model.Validators.Add(result =>
        {
            string? name = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (ModelCatalog.Find(name) is null && !(withCharLm && (IsCharLm(name) || IsSeq2Seq(name))))
            {
                result.AddError($"Unknown model '{name}'. Models: {names}.");
            }
        });
        return model;
    }

    private static bool IsCharLm(string? name) => string.Equals(name, CharLmRun.ModelName, StringComparison.OrdinalIgnoreCase);

    private static bool IsSeq2Seq(string? name) => string.Equals(name, Seq2SeqRun.ModelName, StringComparison.OrdinalIgnoreCase);

    private static Option<string?> DataOption() => new("--data")
    {
        Description = "Fashion-MNIST directory (the four IDX files, optionally .gz), or 'sample' for the embedded sample. " +
            "Default: $NABLA_DATA/fashion-mnist, /usr/share/datasets/fashion-mnist, ~/.nabla/data/fashion-mnist, else the sample.",
    };

    private static Option<int> LimitOption() => new("--limit")
    {
        Description = "Use only the first N training and test images (quick trials).",
        Hidden = true,
    };

    private static Command TrainCommand(TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        var model = ModelArgument(withCharLm: true);
        var epochs = new Option<int?>("--epochs") { Description = "Total epochs (default: the model's, 10, or 30 for lenet on the embedded sample; charlm 500, as d2l)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Samples per batch (default: the model's, 256 or 128 for the CNN zoo, 64 for lenet on the embedded sample)." };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the course's for the model; see `nabla models`)." };
        var width = new Option<double?>("--width") { Description = "Width multiplier of the CNN zoo's channel counts (default: the model's, 1 or 0.25 for vgg11); e.g. 0.25 to train in minutes." };
        var resize = new Option<int?>("--resize") { Description = "Side of the images the model is trained on; Fashion-MNIST's 28×28 are resized bilinearly (default: the model's, 224 or 96 for the zoo)." };
        var augment = new Option<bool>("--augment") { Description = "Augment the training batches: random crop with padding 4 and random horizontal flip, seeded from --seed." };
        var lrSchedule = new Option<string?>("--lr-schedule") { Description = "Learning-rate schedule: cosine anneals --lr to 0 over the epochs, stepped after each epoch (default: constant)." };
        lrSchedule.AcceptOnlyFromAmong(TrainRun.LrSchedules);
        var optimizer = new Option<string?>("--optimizer") { Description = $"Optimizer: {string.Join(", ", OptimizerFactory.Names)} (default sgd)." };
        optimizer.AcceptOnlyFromAmong([.. OptimizerFactory.Names]);
        var data = DataOption();
        var seed = new Option<long?>("--seed") { Description = "Seed of the initial weights, the shuffling and dropout (default 0)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Directory for a checkpoint after every epoch and the plot (default: no checkpoints, plot in runs/MODEL)." };
        var overwrite = CheckpointGuard.OverwriteOption();
        var resume = new Option<bool>("--resume") { Description = "Continue the run saved in --checkpoint (or runs/MODEL) up to --epochs, with its recipe, bit for bit as if never stopped." };
        var json = new Option<bool>("--json") { Description = "Print one JSON line with the results on stdout; progress goes to stderr." };
        var limit = LimitOption();
        var stopAfter = new Option<int>("--stop-after-batches") { Description = "Stop as if Ctrl-C were pressed after N batches (tests).", Hidden = true };
        var classes = new Option<string?>("--classes") { Description = "Train on these classes only, relabelled 0…k-1 in this order, e.g. 0-4 or 5,6,7,8,9 (default: all ten)." };
        var fineTune = new Option<string?>("--finetune") { Description = "Fine-tune from the checkpoint of the same model in this directory: its weights except the head, which is re-initialised for the classes of this run." };
        var pretrainedWeights = new Option<string?>("--pretrained") { Description = "Fine-tune published pre-trained weights (d2l 14.2): imagenet for resnet18 (ImageNet ResNet-18 from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package); grey images become 3 channels, the head is new, the backbone learns at --lr-backbone (default --lr / 10)." };
        var freezeUntil = new Option<string?>("--freeze-until") { Description = "With --finetune: freeze the model's modules up to and including this one: a top-level module (layer3 for resnet18) or a dotted path into one (features.5 for vgg11); `nabla summary` shows the paths." };
        var lrBackbone = new Option<double?>("--lr-backbone") { Description = "With --finetune: learning rate of the pretrained layers left unfrozen (default: --lr, the head's)." };
        var aux = new Option<bool>("--aux") { Description = "googlenet: train with the two auxiliary classifiers, loss = main + 0.3 × each auxiliary loss." };
        var cell = new Option<string?>("--cell") { Description = $"charlm: the recurrent cell, {string.Join(", ", CharLmCheckpoint.Cells)} (default gru)." };
        cell.CompletionSources.Add([.. CharLmCheckpoint.Cells]);
        cell.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !CharLmCheckpoint.Cells.Contains(result.Tokens[0].Value))
            {
                result.AddError($"--cell: unknown cell '{result.Tokens[0].Value}'. Cells: {string.Join(", ", CharLmCheckpoint.Cells)}.");
            }
        });
        var layers = new Option<int?>("--layers") { Description = "charlm: stacked recurrent layers (default 1); seq2seq: GRU layers or Transformer blocks (default 2)." };
        var hidden = new Option<int?>("--hidden") { Description = "charlm: hidden units per layer (default 256); seq2seq: hidden units or d_model (default 32)." };
        var steps = new Option<int?>("--steps") { Description = "charlm: time steps per subsequence (default 35); seq2seq: tokens per sentence with <eos> (default 10)." };
        var randomSampling = new Option<bool>("--random-sampling") { Description = "charlm: random instead of sequential partitioning of the text." };
        var clip = new Option<double?>("--clip") { Description = "charlm and seq2seq: largest gradient norm (default 1)." };
        var distributed = new Option<bool>("--distributed") { Description = "Train data-parallel over the processes of an MPI job: mpirun -np N ./nabla train MODEL --distributed; --batch-size is the global batch, rank 0 reports and checkpoints." };
        var sync = new Option<string?>("--sync") { Description = "With --distributed: allreduce (every process averages the gradients, default), ps (a synchronous parameter server on rank 0) or async (an asynchronous parameter server on rank 0 with bounded staleness)." };
        sync.AcceptOnlyFromAmong(DistributedTraining.SyncModes);
        var staleness = new Option<int?>("--staleness") { Description = $"With --sync async: how many steps a process may run ahead of the slowest before it waits (default {DistributedTraining.DefaultStaleness})." };
        var splitBySpeed = new Option<bool>("--split-by-speed") { Description = "With --distributed: time each process on a few batches and give it a share of each batch in proportion to its speed (gradients weighted so that the update is the whole batch's)." };
        var compile = new Option<bool>("--compile") { Description = "Train through the model's compiled graph (traced forward, fused linear/convolution + activation regions, eager backward kernels); not with batch norm or --aux." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "charlm: characters of the book to train on (default d2l's 10,000; 0 for all).", Hidden = true };

        var arch = new Option<string?>("--arch") { Description = $"seq2seq: the architecture, {string.Join(", ", Seq2SeqSettings.Archs)} (default gru); each with the course's recipe." };
        arch.AcceptOnlyFromAmong([.. Seq2SeqSettings.Archs]);
        var pairs = new Option<string?>("--pairs") { Description = "seq2seq: pairs of fra-eng to use from the start of the file, N or all (default the course's 600)." };
        pairs.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && Seq2SeqPairs(result.Tokens[0].Value) is null)
            {
                result.AddError($"--pairs must be a positive number or 'all', got '{result.Tokens[0].Value}'.");
            }
        });

        var command = new Command("train", "Train a model on Fashion-MNIST, the character language model (charlm) on The Time Machine, or a translation model (seq2seq) on fra-eng; `train bert` (BERT pre-training) and `train gan` (DCGAN, WGAN-GP, cGAN) are commands of their own, with their own options.")
        {
            model, epochs, batchSize, lr, lrSchedule, optimizer, width, resize, augment, data, seed, checkpoint, resume, overwrite, json, limit, stopAfter,
            classes, fineTune, pretrainedWeights, freezeUntil, lrBackbone, aux, compile, distributed, sync, staleness, splitBySpeed,
            cell, layers, hidden, steps, randomSampling, clip, maxTokens, arch, pairs,
            BertCommands.Train(stdout, stderr, stop),
        };
        Option[] imageOnly = [lrSchedule, width, resize, augment, data, limit, stopAfter, classes, fineTune, pretrainedWeights, freezeUntil, lrBackbone, aux, compile, distributed, sync, staleness, splitBySpeed];
        Option[] charLmOnly = [cell, layers, hidden, steps, randomSampling, clip, maxTokens];
        Option[] seq2seqOnly = [arch, pairs];
        Option[] notSeq2Seq = [.. imageOnly.Where(o => o != stopAfter), optimizer, cell, randomSampling, maxTokens];
        Require(layers, value => value >= 1, "--layers must be at least 1.");
        Require(hidden, value => value >= 1, "--hidden must be at least 1.");
        Require(steps, value => value >= 1, "--steps must be at least 1.");
        Require(staleness, value => value >= 0, "--staleness must be at least 0.");
        Require(clip, value => value > 0, "--clip must be positive.");
        Require(epochs, value => value >= 0, "--epochs must be 0 or more.");
        Require(batchSize, value => value >= 1, "--batch-size must be at least 1.");
        Require(lr, value => value > 0, "--lr must be positive.");
        Require(lrBackbone, value => value >= 0, "--lr-backbone must be 0 or more.");
        Require(width, value => value > 0, "--width must be positive.");
        Require(resize, value => value >= 1, "--resize must be at least 1.");
        command.SetAction(parse =>
        {
            bool charLm = IsCharLm(parse.GetValue(model));
            if (parse.GetValue(resume) && parse.GetValue(overwrite))
            {
                stderr.WriteLine("nabla: --resume continues the checkpoint and --overwrite replaces it: give one of them.");
                return 1;
            }
            bool seq2seq = IsSeq2Seq(parse.GetValue(model));
            // Options of the other kind of model are errors rather than silently ignored.
            foreach (Option option in seq2seq ? notSeq2Seq : charLm ? [.. imageOnly, .. seq2seqOnly] : [.. charLmOnly, .. seq2seqOnly])
            {
                if (parse.GetResult(option) is { Implicit: false })
                {
                    stderr.WriteLine(seq2seq || charLm ? $"nabla: {option.Name} does not apply to {(seq2seq ? Seq2SeqRun.ModelName : CharLmRun.ModelName)}."
                        : seq2seqOnly.Contains(option) ? $"nabla: {option.Name} applies to seq2seq only." : $"nabla: {option.Name} applies to charlm{(option == clip || option == layers || option == hidden || option == steps ? " and seq2seq" : "")} only.");
                    return 1;
                }
            }
            if (seq2seq)
            {
                var recipe = Seq2SeqSettings.ForArch(parse.GetValue(arch) ?? "gru");
                var seq2seqSettings = recipe with
                {
                    Layers = parse.GetValue(layers) ?? recipe.Layers,
                    Hidden = parse.GetValue(hidden) ?? recipe.Hidden,
                    Steps = parse.GetValue(steps) ?? recipe.Steps,
                    BatchSize = parse.GetValue(batchSize) ?? recipe.BatchSize,
                    Epochs = parse.GetValue(epochs) ?? recipe.Epochs,
                    LearningRate = parse.GetValue(lr) ?? recipe.LearningRate,
                    Clip = parse.GetValue(clip) ?? recipe.Clip,
                    Pairs = parse.GetValue(pairs) is { } pairCount ? Seq2SeqPairs(pairCount)!.Value : recipe.Pairs,
                    Seed = parse.GetValue(seed) ?? recipe.Seed,
                    Checkpoint = parse.GetValue(checkpoint),
                    Resume = parse.GetValue(resume),
                    Overwrite = parse.GetValue(overwrite),
                    Json = parse.GetValue(json),
                    StopAfterBatches = parse.GetValue(stopAfter),
                };
                TextWriter seq2seqLog = seq2seqSettings.Json ? stderr : stdout;
                return Guarded(stderr, () => new Seq2SeqRun(seq2seqSettings, CreateConsole(seq2seqLog), seq2seqLog, stdout, stop).Run());
            }
            if (charLm)
            {
                var defaults = new CharLmSettings();
                var charLmSettings = new CharLmSettings
                {
                    Cell = parse.GetValue(cell) ?? defaults.Cell,
                    Layers = parse.GetValue(layers) ?? defaults.Layers,
                    Hidden = parse.GetValue(hidden) ?? defaults.Hidden,
                    Steps = parse.GetValue(steps) ?? defaults.Steps,
                    BatchSize = parse.GetValue(batchSize) ?? defaults.BatchSize,
                    RandomSampling = parse.GetValue(randomSampling),
                    Epochs = parse.GetValue(epochs) ?? defaults.Epochs,
                    Optimizer = parse.GetValue(optimizer) ?? defaults.Optimizer,
                    LearningRate = parse.GetValue(lr)
                        ?? (parse.GetValue(optimizer) is { } name and not "sgd" ? OptimizerFactory.DefaultLearningRate(name)!.Value : defaults.LearningRate),
                    Clip = parse.GetValue(clip) ?? defaults.Clip,
                    Seed = parse.GetValue(seed) ?? defaults.Seed,
                    MaxTokens = parse.GetValue(maxTokens) ?? defaults.MaxTokens,
                    Checkpoint = parse.GetValue(checkpoint),
                    Resume = parse.GetValue(resume),
                    Overwrite = parse.GetValue(overwrite),
                    Json = parse.GetValue(json),
                };
                TextWriter charLmLog = charLmSettings.Json ? stderr : stdout;
                return Guarded(stderr, () => new CharLmRun(charLmSettings, CreateConsole(charLmLog), charLmLog, stdout, stop).Run());
            }
            return Guarded(stderr, () =>
            {
                var settings = new TrainSettings
                {
                    Model = parse.GetValue(model)!,
                    Classes = parse.GetValue(classes) is { } classList ? ClassSelection.Parse(classList) : null,
                    FineTune = parse.GetValue(fineTune),
                    Pretrained = parse.GetValue(pretrainedWeights),
                    FreezeUntil = parse.GetValue(freezeUntil),
                    LrBackbone = parse.GetValue(lrBackbone),
                    Aux = parse.GetValue(aux),
                    Compile = parse.GetValue(compile),
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batchSize),
                    LearningRate = parse.GetValue(lr),
                    LrSchedule = parse.GetValue(lrSchedule),
                    Optimizer = parse.GetValue(optimizer),
                    Width = parse.GetValue(width),
                    Resize = parse.GetValue(resize),
                    Augment = parse.GetValue(augment),
                    Data = parse.GetValue(data),
                    Seed = parse.GetValue(seed),
                    Checkpoint = parse.GetValue(checkpoint),
                    Resume = parse.GetValue(resume),
                    Overwrite = parse.GetValue(overwrite),
                    Json = parse.GetValue(json),
                    Limit = parse.GetValue(limit),
                    StopAfterBatches = parse.GetValue(stopAfter),
                    Distributed = parse.GetValue(distributed),
                    Sync = parse.GetValue(sync),
                    Staleness = parse.GetValue(staleness),
                    SplitBySpeed = parse.GetValue(splitBySpeed),
                };
                TextWriter log = settings.Json ? stderr : stdout;
                if (settings.Distributed || settings.Sync is not null || settings.Staleness is not null || settings.SplitBySpeed)
                {
                    return DistributedTraining.Run(settings, stderr, parallel =>
                        new TrainRun(settings, CreateConsole(parallel.Output(log)), parallel.Output(log), parallel.Output(stdout), stop, parallel).Run());
                }
                return new TrainRun(settings, CreateConsole(log), log, stdout, stop).Run();
            });
        });
        return command;
    }

    // --pairs: a positive count, or all (0).
    private static int? Seq2SeqPairs(string text) =>
        string.Equals(text, "all", StringComparison.OrdinalIgnoreCase) ? 0
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0 ? count : null;

    // Range checks on the option's token: a value that is not a number is already reported by the parser.
    private static void Require<T>(Option<T?> option, Func<double, bool> valid, string message) where T : struct
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && double.TryParse(result.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && !valid(value))
            {
                result.AddError(message);
            }
        });
    }

    private static Command EvalCommand(TextWriter stdout, TextWriter stderr)
    {
        var model = ModelArgument();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Directory of the checkpoint to evaluate.", Required = true };
        var data = DataOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON line with the result." };
        var limit = LimitOption();
        var compile = new Option<bool>("--compile") { Description = "Trace the model into a static graph (frozen weights, batch norms folded, fused epilogues) and evaluate that." };
        var command = new Command("eval", "Test accuracy of a trained model.") { model, checkpoint, data, json, limit, compile };
        command.SetAction(parse => Guarded(stderr, () =>
            Inference.Evaluate(parse.GetValue(model)!, parse.GetValue(checkpoint)!, parse.GetValue(data), parse.GetValue(limit), parse.GetValue(json), parse.GetValue(compile), stdout)));
        return command;
    }

    private static Command ExportCommand(TextWriter stdout, TextWriter stderr)
    {
        var model = ModelArgument();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Directory of the checkpoint to export.", Required = true };
        var output = new Argument<string>("output") { Description = "The .onnx file to write." };
        var command = new Command("export", "Write a trained model as an ONNX file (opset 17, symbolic batch size) for ONNX Runtime and other tools.") { model, checkpoint, output };
        command.SetAction(parse => Guarded(stderr, () =>
            ModelExport.Run(parse.GetValue(model)!, parse.GetValue(checkpoint)!, parse.GetValue(output)!, stdout, stderr)));
        return command;
    }

    private static Command PredictCommand(TextWriter stdout, TextWriter stderr)
    {
        var model = ModelArgument();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Directory of the trained model's checkpoint.", Required = true };
        var image = new Option<string?>("--image") { Description = "A PNG or JPEG image; converted to 28×28 grayscale." };
        var top = new Option<int?>("--top") { Description = "How many classes to print (default 3)." };
        var grid = new Option<string?>("--grid") { Description = "Instead of --image: classify the first --count test images and write them as a PNG image grid with predicted and true labels, wrong predictions in red." };
        var count = new Option<int?>("--count") { Description = "With --grid: how many test images (default 32)." };
        var data = DataOption();
        var command = new Command("predict", "Classify an image, or a grid of test images, with a trained model.") { model, checkpoint, image, top, grid, count, data };
        Require(count, value => value >= 1, "--count must be at least 1.");
        Require(top, value => value >= 1, "--top must be at least 1.");
        command.SetAction(parse => Guarded(stderr, () =>
        {
            string? imagePath = parse.GetValue(image), gridPath = parse.GetValue(grid);
            if ((imagePath is null) == (gridPath is null))
            {
                throw new ArgumentException("predict: give either --image FILE or --grid OUT.png.");
            }
            return gridPath is not null
                ? Inference.PredictGrid(parse.GetValue(model)!, parse.GetValue(checkpoint)!, gridPath, parse.GetValue(count) ?? 32, parse.GetValue(data), stdout)
                : Inference.Predict(parse.GetValue(model)!, parse.GetValue(checkpoint)!, imagePath!, parse.GetValue(top) ?? 3, stdout);
        }));
        return command;
    }

    private static Command GenerateCommand(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = $"The model: {CharLmRun.ModelName}." };
        model.Validators.Add(result =>
        {
            string? name = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (!IsCharLm(name))
            {
                result.AddError($"Unknown model '{name}' for generate. Models: {CharLmRun.ModelName}.");
            }
        });
        var checkpoint = new Option<string>("--checkpoint") { Description = "Directory of the checkpoint of `nabla train charlm`.", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "The text to continue.", DefaultValueFactory = _ => CharLmRun.SamplePrefix };
        var length = new Option<int>("--length") { Description = "Characters to generate after the prefix.", DefaultValueFactory = _ => 100 };
        var temperature = new Option<double>("--temperature") { Description = "0: greedy, the most likely character each step (d2l's predict); otherwise sample from softmax(logits / T).", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "Sample only among the K most likely characters (0: all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampling.", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Continue a text with a trained character language model.") { model, checkpoint, prefix, length, temperature, topK, seed };
        command.SetAction(parse => Guarded(stderr, () => CharLmGeneration.Generate(parse.GetValue(checkpoint)!, parse.GetValue(prefix)!, parse.GetValue(length),
            parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed), stdout)));
        return command;
    }

    private static Command ModelsCommand(TextWriter stdout)
    {
        var command = new Command("models", "List the models with their default recipes.");
        command.SetAction(_ =>
        {
            foreach (ModelSpec spec in ModelCatalog.All)
            {
                string input = spec.InputSize == 28 ? "" : $", {spec.InputSize} px";
                string width = spec.DefaultWidth is { } w ? $", width {w}" : "";
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{spec.Name,-12} {spec.Description}  (epochs {spec.Epochs}, batch {spec.BatchSize}, SGD lr {spec.LearningRate}{input}{width})"));
            }
            var charLm = new CharLmSettings();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{CharLmRun.ModelName,-12} {CharLmRun.Description}  (epochs {charLm.Epochs}, batch {charLm.BatchSize} × {charLm.Steps} steps, SGD lr {charLm.LearningRate}, {charLm.Cell} {charLm.Hidden})"));
            stdout.WriteLine($"{Seq2SeqRun.ModelName,-12} {Seq2SeqRun.Description}  (--arch gru|bahdanau|transformer, the course's recipe each)");
            stdout.WriteLine($"{"bert",-12} {BertRun.Description}  (`nabla train bert`, then `nabla embed`)");
            stdout.WriteLine($"{"gan",-12} GANs on Fashion-MNIST at 32 px: DCGAN, WGAN-GP, conditional GAN (d2l 17.1-17.2)  (`nabla train gan --kind dcgan|wgan-gp|cgan`, then `nabla sample gan`, `nabla eval gan`)");
            stdout.WriteLine($"{"style",-12} Neural style transfer on the ImageNet ResNet-18's features (d2l 14.12)  (`nabla style --content dog.jpg --style scream.jpg`)");
            return 0;
        });
        return command;
    }

    private static Command SummaryCommand(TextWriter stdout, TextWriter stderr)
    {
        var model = ModelArgument();
        var inputSize = new Option<int?>("--input-size") { Description = "Side of the square input image (default: the model's training size, e.g. 224 for alexnet)." };
        var width = new Option<double?>("--width") { Description = "Width multiplier of the CNN zoo's models (default: the model's)." };
        var command = new Command("summary", "Print a model's layers: output shapes, parameters, multiply-accumulates (batch of 1).") { model, inputSize, width };
        Require(inputSize, value => value >= 1, "--input-size must be at least 1.");
        Require(width, value => value > 0, "--width must be positive.");
        command.SetAction(parse => Guarded(stderr, () =>
        {
            ModelSpec spec = ModelCatalog.Get(parse.GetValue(model)!);
            double? scale = parse.GetValue(width);
            if (scale is not null && !spec.HasWidth)
            {
                throw new ArgumentException($"--width: {spec.Name} has no width multiplier; the zoo's CNNs have one.");
            }
            int size = parse.GetValue(inputSize) ?? spec.InputSize;
            if (size < spec.MinInputSize)
            {
                throw new ArgumentException($"--input-size {size}: {spec.Name} needs images of at least {spec.MinInputSize}×{spec.MinInputSize}.");
            }
            NN.ModelSummary summary = NN.ModelSummary.Summary(spec.Build(scale), spec.InputShape(1, size));
            double? used = scale ?? spec.DefaultWidth;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{spec.Name}: {spec.Description}; input [1, 1, {size}, {size}]{(used is { } w ? $", width {w}" : "")}"));
            stdout.WriteLine(summary.ToString());
            return 0;
        }));
        return command;
    }

    /// <summary>A Spectre console writing to <paramref name="writer"/>; interactive (live progress) only on a terminal.</summary>
    public static IAnsiConsole CreateConsole(TextWriter writer) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });

    // Expected failures (bad paths, bad checkpoints, bad options) end with one line, not a stack trace.
    private static int Guarded(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception exception) when (exception is ArgumentException or IOException or InvalidDataException or FormatException or UnauthorizedAccessException
            or TrainingDivergedException)
        {
            stderr.WriteLine($"nabla: {exception.Message}");
            return 1;
        }
    }
}
