using System.Text;
using System.Text.Json;
using SwanLab.Client.Upload;
using SwanLab.Emulator;

namespace SwanLab.Client.Tests.Upload;

/// <summary>An empty-account emulator, a client on it, and a run's worth of awkward data to upload.</summary>
internal static class UploadHarness
{
    public static async Task<(EmulatorServer Server, SwanLabApi Api)> StartEmptyAsync(bool legacy = false, int retries = 5, bool serverTimes = false)
    {
        var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Empty, Legacy = legacy, ServerTimes = serverTimes });
        return (server, await EmulatorFixture.Connect(server, retries));
    }

    /// <summary>Values whose bits a copy must keep: NaN, both infinities, negative zero, subnormals, long fractions.</summary>
    public static readonly double[] AwkwardValues =
        [0.1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, 1e300, -123.456789012345678, 2.0 / 3];

    public static List<ScalarUpload> Points(string key, int count, long firstStep = 0, long baseMs = 1_722_470_401_000) =>
        Enumerable.Range(0, count)
            .Select(i => new ScalarUpload(key, firstStep + (i * 2), AwkwardValues[i % AwkwardValues.Length] * (i < AwkwardValues.Length ? 1 : i),
                baseMs + (i * 1_007)))
            .ToList();

    public static JsonElement Parse(string json) => JsonSerializer.Deserialize<JsonElement>(json);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static async Task<List<T>> ToList<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }
}
