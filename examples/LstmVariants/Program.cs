// d2l §9.2 (LSTM from scratch) and two variants compared in Greff et al., "LSTM: A Search Space Odyssey"
// (2017): peephole connections (Gers & Schmidhuber, 2000) and coupled input and forget gates (CIFG).
// Each trains a character language model on The Time Machine and prints its perplexity per epoch and a
// greedy continuation of "time traveller".
//
//   dotnet run -c Release --project examples/LstmVariants -- [standard|peephole|coupled|all] [epochs=20] [hidden=128]
using System.Diagnostics;
using System.Globalization;
using LstmVariants;
using Nabla;
using Nabla.Optim;
using Nabla.Text;

string which = args.Length > 0 ? args[0] : "all";
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
int hidden = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 128;
LstmVariant[] variants = which switch
{
    "standard" => [LstmVariant.Standard],
    "peephole" => [LstmVariant.Peephole],
    "coupled" => [LstmVariant.CoupledGates],
    "all" => Enum.GetValues<LstmVariant>(),
    _ => throw new ArgumentException($"unknown variant '{which}': standard, peephole, coupled or all"),
};

foreach (var variant in variants)
{
    Generator.ManualSeed(0);
    var (data, vocab) = TimeMachine.LoadData(batchSize: 32, numSteps: 35, generator: new Generator(1));
    var model = new ScratchLstm(vocab.Count, hidden, variant);
    var optimizer = new Adam(model.Parameters(), lr: 0.01);
    Console.WriteLine($"{variant}: {model.Parameters().Sum(p => p.NumElements):N0} parameters");
    var watch = Stopwatch.StartNew();
    for (int epoch = 1; epoch <= epochs; epoch++)
    {
        double perplexity = ScratchLanguageModel.TrainEpoch(model, data, optimizer);
        if (epoch % 5 == 0 || epoch == epochs)
            Console.WriteLine(FormattableString.Invariant($"  epoch {epoch,3}  perplexity {perplexity,6:F2}  {watch.Elapsed.TotalSeconds,5:F1} s"));
    }
    Console.WriteLine($"  {ScratchLanguageModel.Predict("time traveller", 40, model, vocab)}");
}
