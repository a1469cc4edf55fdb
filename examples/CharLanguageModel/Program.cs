// d2l §8.6 (concise RNN implementation), with a GRU as in §9.1: a character language model on
// The Time Machine, trained with sequential minibatches and gradient clipping; prints the
// perplexity of each epoch and a greedy continuation of "time traveller".
//
//   dotnet run -c Release --project examples/CharLanguageModel -- [epochs=30] [hidden=256] [lr=0.01]
using System.Diagnostics;
using System.Globalization;
using Nabla;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Text;

int epochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
int hidden = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256;
double lr = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 0.01;

Generator.ManualSeed(0);
var (data, vocab) = TimeMachine.LoadData(batchSize: 32, numSteps: 35, generator: new Generator(1));
var model = new RNNModel(new GRU(vocab.Count, hidden), vocab.Count);
var optimizer = new Adam(model.Parameters(), lr: lr);
Console.WriteLine($"vocab {vocab.Count} tokens, {data.Corpus.Count} characters; {model}");

var watch = Stopwatch.StartNew();
for (int epoch = 1; epoch <= epochs; epoch++)
{
    double perplexity = LanguageModel.TrainEpoch(model, data, optimizer);
    Console.WriteLine(FormattableString.Invariant($"epoch {epoch,3}  perplexity {perplexity,7:F2}  {watch.Elapsed.TotalSeconds,6:F1} s"));
}
Console.WriteLine(LanguageModel.Predict("time traveller", 50, model, vocab));
Console.WriteLine(LanguageModel.Predict("traveller", 50, model, vocab));
