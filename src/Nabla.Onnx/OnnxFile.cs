using Google.Protobuf;
using Nabla.Onnx.Protobuf;

namespace Nabla.Onnx;

/// <summary>
/// Reads and writes the <c>.onnx</c> file format: one <c>ModelProto</c> message of ONNX's protobuf schema
/// (<c>Protobuf/onnx.proto</c>, IR version 8). A truncated or corrupted file is reported as an
/// <see cref="InvalidDataException"/> naming the file, never as a protobuf internal error.
/// </summary>
internal static class OnnxFile
{
    /// <summary>Parses the model in <paramref name="path"/>.</summary>
    public static ModelProto Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Onnx.Load: no file '{path}'.", path);
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Parses a model from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static ModelProto Read(Stream stream, string name)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(stream); }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"Onnx.Load: '{name}' is not a valid ONNX model (truncated or corrupted protobuf: {e.Message}).", e);
        }
        if (model.Graph is null)
            throw new InvalidDataException($"Onnx.Load: '{name}' holds no graph (an empty or non-ONNX file).");
        return model;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file, so a crash never leaves a torn model.</summary>
    public static void Write(ModelProto model, string path)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp-" + Environment.ProcessId;
        using (var stream = File.Create(temporary)) model.WriteTo(stream);
        File.Move(temporary, full, overwrite: true);
    }
}
