using System.CommandLine;
using System.Globalization;
using Nabla.Serialization;

namespace Nabla.Cli;

/// <summary>
/// <c>nabla import model.pt [--out model.safetensors] [--overwrite]</c>: converts a <c>torch.save</c>
/// checkpoint (a state dict) to a safetensors file, reading it with
/// <see cref="StateDict.LoadPyTorch(string)"/> — no code in the checkpoint runs. float16 and bfloat16
/// tensors become float32; tensors that shared a storage are written as separate contiguous copies
/// (safetensors has no sharing).
/// </summary>
public static class ImportCommand
{
    /// <summary>Builds the command; the summary goes to <paramref name="stdout"/>, errors to <paramref name="stderr"/>.</summary>
    public static Command Build(TextWriter stdout, TextWriter stderr, Func<TextWriter, Func<int>, int> guarded)
    {
        var input = new Argument<string>("checkpoint") { Description = "The .pt/.pth file written by torch.save (zip or legacy format) holding a state dict." };
        var output = new Option<string?>("--out") { Description = "The safetensors file to write (default: the checkpoint's name with .safetensors)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the output file if it exists." };
        var command = new Command("import", "Convert a PyTorch checkpoint (torch.save of a state dict) to safetensors, without running any of its code.") { input, output, overwrite };
        command.SetAction(parse => guarded(stderr, () => Import(parse.GetValue(input)!, parse.GetValue(output), parse.GetValue(overwrite), stdout)));
        return command;
    }

    /// <summary>Converts <paramref name="checkpoint"/> to <paramref name="output"/>; returns the exit status.</summary>
    /// <exception cref="InvalidDataException">The checkpoint is corrupt or names a forbidden global.</exception>
    /// <exception cref="IOException">The output exists and <paramref name="overwrite"/> is false, or a file cannot be read or written.</exception>
    public static int Import(string checkpoint, string? output, bool overwrite, TextWriter stdout)
    {
        if (!File.Exists(checkpoint))
        {
            throw new FileNotFoundException($"import: no file '{checkpoint}'.", checkpoint);
        }
        string target = output ?? Path.ChangeExtension(checkpoint, ".safetensors");
        if (Path.GetFullPath(target) == Path.GetFullPath(checkpoint))
        {
            throw new ArgumentException($"import: --out '{target}' is the checkpoint itself.");
        }
        if (File.Exists(target) && !overwrite)
        {
            throw new IOException($"import: '{target}' exists; pass --overwrite to replace it.");
        }
        Dictionary<string, Tensor> tensors = StateDict.LoadPyTorch(checkpoint);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["source"] = Path.GetFileName(checkpoint) };
        StateDict.Save(tensors, target, metadata);
        long elements = 0;
        foreach (Tensor tensor in tensors.Values)
        {
            elements += tensor.NumElements;
        }
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tensors.Count} tensors ({elements:N0} elements) from {checkpoint} written to {target}"));
        return 0;
    }
}
