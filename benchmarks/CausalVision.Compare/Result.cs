using System.Text.Json;

namespace CausalVision.Compare;

/// <summary>The one JSON line each case prints for compare.py.</summary>
internal static class Result
{
    public static void Print(string impl, string metric, IEnumerable<double> values, IDictionary<string, object>? extra = null)
    {
        var obj = new Dictionary<string, object> { ["impl"] = impl, ["metric"] = metric, ["values"] = values.ToArray() };
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
            {
                obj[k] = v;
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(obj));
    }

    public static string TorchSharpImpl => $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3)}";
}
