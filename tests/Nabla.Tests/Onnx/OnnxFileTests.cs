using Google.Protobuf;
using Nabla.Onnx;
using Nabla.Onnx.Protobuf;
using Xunit;

namespace Nabla.Tests.Onnx;

public class OnnxFileTests
{
    static ModelProto SmallModel()
    {
        var graph = new GraphProto { Name = "relu" };
        graph.Input.Add(new ValueInfoProto { Name = "x" });
        graph.Output.Add(new ValueInfoProto { Name = "y" });
        graph.Node.Add(new NodeProto { OpType = "Relu", Name = "relu0", Input = { "x" }, Output = { "y" } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "Nabla", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    [Fact]
    public void WriteThenReadGivesTheSameModel()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxFile.Write(SmallModel(), path);
            var model = OnnxFile.Read(path);
            Assert.Equal(SmallModel(), model);
            Assert.Equal("Relu", model.Graph.Node[0].OpType);
            Assert.Equal(17, model.OpsetImport[0].Version);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TruncatedFileIsAClearError()
    {
        var bytes = SmallModel().ToByteArray();
        var truncated = new MemoryStream(bytes, 0, bytes.Length - 5);
        var error = Assert.Throws<InvalidDataException>(() => OnnxFile.Read(truncated, "cut.onnx"));
        Assert.Contains("cut.onnx", error.Message);
        Assert.Contains("Onnx.Load", error.Message);
    }

    [Fact]
    public void FileWithoutGraphIsAClearError()
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxFile.Read(new MemoryStream([]), "empty.onnx"));
        Assert.Contains("no graph", error.Message);
    }
}
