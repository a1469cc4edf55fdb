using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>Whole-model initialisations that the course applies with <c>net.apply(init_weights)</c>.</summary>
public static class InitWeights
{
    /// <summary>
    /// Draws the weight of every <see cref="Linear"/> layer (and of every other layer whose
    /// <c>weight</c> parameter has two or more dimensions, such as convolutions) from
    /// Xavier-uniform; biases and normalisation layers keep their own initialisation.
    /// This is <c>nn.init.xavier_uniform_</c> applied to <c>nn.Linear</c> and <c>nn.Conv2d</c>.
    /// </summary>
    /// <param name="model">The model whose layers to initialise.</param>
    /// <param name="generator">Random source; <see cref="Generator.Default"/> when null.</param>
    /// <returns>The model.</returns>
    public static Module XavierUniform(Module model, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (Module module in model.Modules())
        {
            foreach (var (name, parameter) in module.NamedParameters(recurse: false))
            {
                if (name == "weight" && parameter.Rank >= 2)
                {
                    Init.XavierUniform_(parameter, generator: generator);
                }
            }
        }
        return model;
    }
}
