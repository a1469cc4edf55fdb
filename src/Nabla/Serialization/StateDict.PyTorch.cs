namespace Nabla.Serialization;

public static partial class StateDict
{
    /// <summary>
    /// Loads the tensors of a file written by <c>torch.save</c> — typically
    /// <c>torch.save(model.state_dict(), path)</c> — without running any of its code: the pickle
    /// inside is read by a restricted unpickler that rebuilds only tensors
    /// (<c>torch._utils._rebuild_tensor_v2</c>, <c>_rebuild_parameter</c>), their storages
    /// (<c>torch.FloatStorage</c>, <c>DoubleStorage</c>, <c>HalfStorage</c>, <c>BFloat16Storage</c>,
    /// <c>LongStorage</c>, <c>IntStorage</c>, <c>ByteStorage</c>, <c>BoolStorage</c>) and
    /// <c>collections.OrderedDict</c>, and refuses every other global with an
    /// <see cref="InvalidDataException"/> that names it (unlike <c>torch.load</c> without <c>weights_only</c>).
    /// </summary>
    /// <remarks>
    /// Both of torch.save's formats are read: the zip archive (PyTorch ≥ 1.6) and the legacy one
    /// (<c>_use_new_zipfile_serialization=False</c>). float16 and bfloat16 storages become float32
    /// (exactly: every 16-bit value is a float32), int16 and int8 storages are refused (Nabla has
    /// no such dtypes); the others keep their dtype. Tensors that share a PyTorch storage share a
    /// Nabla storage, and views keep their offset and strides. A dict nested in the checkpoint
    /// (<c>{"model": state_dict, "epoch": 3}</c>) contributes its tensors under dotted names
    /// (<c>model.fc.weight</c>); values that are not tensors (numbers, strings) are skipped.
    /// Load the result into a module with <see cref="NN.Module.LoadStateDict"/>, which checks names and shapes.
    /// </remarks>
    /// <param name="path">Path of the <c>.pt</c>/<c>.pth</c> file.</param>
    /// <returns>The tensors by name, in the checkpoint's order.</returns>
    /// <exception cref="InvalidDataException">The pickle names a global outside the allow list (e.g. <c>os.system</c>; nothing was executed), or the file is truncated, corrupt, not a torch.save file, or holds a tensor Nabla cannot represent; the message names the file and the problem.</exception>
    public static Dictionary<string, Tensor> LoadPyTorch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return PyTorchCheckpoint.Read(stream, path);
    }

    /// <summary>Loads the tensors of a <c>torch.save</c> checkpoint from a stream; see <see cref="LoadPyTorch(string)"/>.</summary>
    /// <param name="stream">The checkpoint, positioned at its start; a stream that cannot seek is copied into memory first. It is not closed.</param>
    /// <returns>The tensors by name, in the checkpoint's order.</returns>
    /// <exception cref="InvalidDataException">The pickle names a global outside the allow list (nothing was executed), or the data is truncated, corrupt, or not a torch.save checkpoint.</exception>
    public static Dictionary<string, Tensor> LoadPyTorch(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek)
        {
            return PyTorchCheckpoint.Read(stream, "PyTorch checkpoint stream");
        }
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return PyTorchCheckpoint.Read(copy, "PyTorch checkpoint stream");
    }
}
