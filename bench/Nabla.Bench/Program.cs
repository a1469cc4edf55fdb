using Nabla.Backends.Cpu;
using Nabla.Bench;
using Nabla.Bench.Jobs;

// Usage: dotnet run -c Release --project bench/Nabla.Bench -- [--profile] JOB…
// Figures go to stdout, one JSON object per line; everything else goes to stderr.
// --profile: the CNN zoo's jobs (alexnet, vgg11, nin, googlenet, densenet) and resnet also print a table of
// forward and backward time per leaf module on stderr (see ModuleProfiler).
// A rank of the ddp job, started by that job under mpiexec.
if (args.Length > 0 && args[0] == DdpJob.WorkerArgument) return DdpJob.Worker(args);

IBenchJob[] jobs = [new PeakJob(), new GemmJob(), new OpsJob(), new ConvJob(), new MemoryJob(), TrainJob.Mlp(), TrainJob.LeNet(), new ResNetJob(), new DcganJob(), new CharLmJob("lstm"), new CharLmJob("gru"), new CharLmJob("rnn"),
    ZooTrainJob.AlexNet(), ZooTrainJob.Vgg11(), ZooTrainJob.NiN(), ZooTrainJob.GoogLeNet(), ZooTrainJob.DenseNet(),
    new AttentionJob(), new TransformerJob(), new DdpJob(), new BertJob(), new OnnxResNet18Job(), new JitJob(), new MlpStepJob(), new LinearEpilogueJob()];

BenchOptions.Profile = args.Contains("--profile");
string[] names = [.. args.Where(a => a != "--profile")];
string[] requested = names.Length > 0 ? names : ["peak", "gemm"];
Console.Error.WriteLine(
    $"nabla-bench: cpu path {CpuFeatures.Active} (best {CpuFeatures.Best}), {WorkerPool.ThreadCount} threads, " +
    $"jobs: {string.Join(' ', requested)}");

foreach (string name in requested)
{
    var job = jobs.FirstOrDefault(j => j.Name == name);
    if (job is null)
    {
        Console.Error.WriteLine($"nabla-bench: unknown job '{name}' (known: {string.Join(", ", jobs.Select(j => j.Name))})");
        return 2;
    }

    foreach (var figure in job.Run())
    {
        Console.WriteLine(figure.ToJson());
    }
}

return 0;
