using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Nabla.Pretrained;
using Zoo = Nabla.Vision.Models.Pretrained;

namespace Nabla.Tests.Pretrained;

public class PretrainedResNet18Tests
{
    static float[] RunOnnxRuntime(string path, string inputName, Tensor input)
    {
        using var session = new InferenceSession(OnnxBatch.WithDynamicBatch(path));
        var dims = input.Shape.ToArray();
        var tensor = new DenseTensor<float>(input.Contiguous().ToArray<float>(), dims);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return [.. results[0].AsEnumerable<float>()];
    }

    static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= tolerance, $"largest difference {worst:E3} > {tolerance:E0}");
    }

    [Fact]
    public void ResNet18_features_match_onnxruntime_on_the_package_model()
    {
        var images = PretrainedImages.Batch(2);
        var preprocessing = Zoo.ResNet18Preprocessing();
        var model = Zoo.ResNet18(numClasses: 10);
        Tensor input, features;
        using (Autograd.NoGrad())
        {
            input = preprocessing.FromUnit(images);
            features = model.Features(input);
        }
        Assert.Equal(new Shape(3, 512), features.Shape);

        // The package's own preprocessing graph, run by OnnxRuntime, agrees with Nabla's.
        var prepared = RunOnnxRuntime(PretrainedFiles.Locate(PretrainedFiles.ResNet18Preprocess), "OriginalInput", images * 255.0);
        AssertClose(prepared, input.Contiguous().ToArray<float>(), 1e-4);

        var expected = RunOnnxRuntime(PretrainedFiles.Locate(PretrainedFiles.ResNet18), "Input247", input);
        AssertClose(expected, features.ToArray<float>(), 1e-4);
        Assert.True(features.ToArray<float>().Max() > 0.5, "the features are not all near zero");
    }
}
