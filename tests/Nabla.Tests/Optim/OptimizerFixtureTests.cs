using System.Text.Json;
using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>Each optimizer and option combination replays a PyTorch 1.13 run and matches it after every step.</summary>
public class OptimizerFixtureTests
{
    public static TheoryData<string> Cases => OptimFixtures.Names("optimizers");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Optimizer_matches_pytorch_at_every_step_and_in_final_state(string name)
    {
        var c = OptimFixtures.Case("optimizers", name);
        var parameters = OptimFixtures.Parameters(c);
        var optimizer = OptimFixtures.Optimizer(c.GetProperty("optimizer").GetString()!, OptimFixtures.Groups(c, parameters), c.GetProperty("defaults"));
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(OptimFixtures.Ints).ToArray();
        var steps = c.GetProperty("steps");
        for (int t = 0; t < steps.GetArrayLength(); t++)
        {
            optimizer.ZeroGrad();
            SetGradients(c, t, parameters, shapes);
            optimizer.Step();
            for (int i = 0; i < parameters.Length; i++)
                OptimFixtures.AssertClose(steps[t][i], parameters[i], $"{name}: step {t + 1}, parameter {i}");
        }

        var expectedState = c.GetProperty("state");
        for (int i = 0; i < parameters.Length; i++)
        {
            bool expected = expectedState.TryGetProperty(i.ToString(), out var entries);
            Assert.Equal(expected, optimizer.State.ContainsKey(parameters[i]));
            if (!expected) continue;
            var state = optimizer.State[parameters[i]];
            Assert.Equal(entries.EnumerateObject().Select(e => e.Name).Order(), state.Keys.Order());
            foreach (var entry in entries.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.Array)
                    OptimFixtures.AssertClose(entry.Value, state[entry.Name], $"{name}: state {i}.{entry.Name}");
                else
                    Assert.Equal(entry.Value.GetDouble(), state[entry.Name].Item()); // the step count
            }
        }
    }

    /// <summary>Gives the parameters their gradients for step <paramref name="t"/>: from the fixture, or by backward of Σ Σ (p·c)².</summary>
    internal static void SetGradients(JsonElement c, int t, Tensor[] parameters, int[][] shapes)
    {
        if (c.GetProperty("mode").GetString() == "grads")
        {
            var row = c.GetProperty("grads")[t];
            for (int i = 0; i < parameters.Length; i++)
                parameters[i].Grad = row[i].ValueKind == JsonValueKind.Null ? null : OptimFixtures.TensorOf(row[i], shapes[i], OptimFixtures.DTypeOf(c));
            return;
        }
        var coefficients = c.GetProperty("coefficients");
        Tensor? loss = null;
        for (int i = 0; i < parameters.Length; i++)
        {
            var term = (parameters[i] * OptimFixtures.TensorOf(coefficients[i], shapes[i], OptimFixtures.DTypeOf(c))).Pow(2).Sum();
            loss = loss is null ? term : loss + term;
        }
        loss!.Backward();
    }
}
