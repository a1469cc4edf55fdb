using Nabla.Pretrained;
using Zoo = Nabla.Vision.Models.Pretrained;

namespace Nabla.Tests.Pretrained;

public class PretrainedErrorTests
{
    [Fact]
    public void A_truncated_onnx_file_is_one_invalid_data_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nabla-truncated-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var source = File.OpenRead(PretrainedFiles.Locate(PretrainedFiles.ResNet18)))
            using (var target = File.Create(path))
            {
                var head = new byte[4096];
                source.ReadExactly(head);
                target.Write(head);
            }
            var error = Assert.Throws<InvalidDataException>(() => Zoo.ResNet18(path));
            Assert.Contains(Path.GetFileName(path), error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Another_onnx_model_is_rejected_naming_the_foreign_node()
    {
        var error = Assert.Throws<InvalidDataException>(() => Zoo.ResNet18(PretrainedFiles.Locate(PretrainedFiles.ResNet18Preprocess)));
        Assert.Contains("Split", error.Message);
    }

    [Fact]
    public void A_missing_package_file_names_the_package_and_where_it_looked()
    {
        var error = Assert.Throws<FileNotFoundException>(() => PretrainedFiles.Locate(new PackageFile("Absent.onnx", "Some.Package", "1.0.0", "tools/Absent.onnx")));
        Assert.Contains("Some.Package 1.0.0", error.Message);
        Assert.Contains(Path.Combine("pretrained", "Absent.onnx"), error.Message);
        Assert.Throws<FileNotFoundException>(() => Zoo.ResNet18(Path.Combine(Path.GetTempPath(), "no-such-model.onnx")));
    }
}
