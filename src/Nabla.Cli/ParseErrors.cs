using System.CommandLine;
using System.CommandLine.Parsing;

namespace Nabla.Cli;

/// <summary>
/// How <c>nabla</c> answers a command line it cannot parse: each error on one line, in the words of
/// the command line (no .NET type names), then the usage of the command that was meant and where its
/// options are described, on standard error; not the whole help page.
/// </summary>
public static class ParseErrors
{
    /// <summary>Writes the errors of <paramref name="parse"/> and the command's usage to <paramref name="stderr"/>.</summary>
    /// <returns>The exit status, 1.</returns>
    public static int Report(ParseResult parse, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(stderr);
        foreach (ParseError error in parse.Errors)
        {
            stderr.WriteLine($"nabla: {Message(error)}");
        }
        Command command = parse.CommandResult.Command;
        foreach (string token in parse.UnmatchedTokens.Where(t => t.StartsWith("--", StringComparison.Ordinal)))
        {
            if (Closest(token, command.Options.Where(o => !o.Hidden).Select(o => o.Name)) is { } suggestion)
            {
                stderr.WriteLine($"nabla: did you mean {suggestion}?");
            }
        }
        string path = CommandPath(parse.CommandResult);
        stderr.WriteLine($"Usage: {path}{string.Concat(command.Arguments.Where(a => !a.Hidden).Select(a => $" <{a.Name}>"))}" +
            (command.Subcommands.Count > 0 ? " [command]" : "") + " [options]");
        if (command.Subcommands.Count > 0)
        {
            stderr.WriteLine($"Commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}.");
        }
        stderr.WriteLine($"Run `{path} --help` for the options.");
        return 1;
    }

    /// <summary>The error's message, with the value types of options said in words.</summary>
    public static string Message(ParseError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Option? option = error.SymbolResult switch
        {
            OptionResult result => result.Option,
            ArgumentResult { Parent: OptionResult result } => result.Option,
            _ => null,
        };
        // System.CommandLine says "Cannot parse argument 'ten' for option '--epochs' as expected type 'System.Nullable`1[System.Int32]'".
        if (option is not null && error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal))
        {
            string value = error.SymbolResult!.Tokens.Count > 0 ? error.SymbolResult.Tokens[^1].Value : "";
            return $"{option.Name}: '{value}' is not {Kind(option.ValueType)}.";
        }
        return error.Message;
    }

    private static string Kind(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(double) => "a number",
        var t when t == typeof(bool) => "true or false",
        var t => $"a value of the kind {t.Name}",
    };

    // The option name nearest to a mistyped one: at most two edits away (--epoch, --batchsize), else none.
    private static string? Closest(string token, IEnumerable<string> names)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string name in names)
        {
            int distance = EditDistance(token, name);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }
        return best;
    }

    // Levenshtein distance: insertions, deletions and substitutions.
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult command)
            {
                names.Insert(0, command.Command.Name);
            }
        }
        return string.Join(' ', names);
    }
}
