using System.Globalization;
using System.Text;

namespace Nabla.Bench;

/// <summary>
/// One measured figure, printed as one JSON line with the anchors' keys, e.g.
/// <c>{"job":"sgemm-n1024","gflops":201.3,"fraction_of_peak":0.91}</c>.
/// </summary>
/// <param name="Job">The figure's name (the anchors' <c>job</c> value).</param>
/// <param name="Values">Key and value pairs, in print order.</param>
internal sealed record Figure(string Job, params (string Key, double Value)[] Values)
{
    /// <summary>The JSON line: job first, then each value with up to 4 significant decimals.</summary>
    public string ToJson()
    {
        var json = new StringBuilder();
        json.Append("{\"job\":\"").Append(Job).Append('"');
        foreach (var (key, value) in Values)
        {
            json.Append(",\"").Append(key).Append("\":").Append(Math.Round(value, 4).ToString("R", CultureInfo.InvariantCulture));
        }

        return json.Append('}').ToString();
    }
}
