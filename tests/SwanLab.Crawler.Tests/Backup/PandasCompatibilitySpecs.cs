using System.Diagnostics;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Backup;

/// <summary>
/// Reads the sinks' output with real pandas when a python3 with pandas is installed (Debian: python3-pandas).
/// The exact-bytes specs in <see cref="SeriesSinkSpecs"/> pin the format everywhere else.
/// </summary>
public class PandasCompatibilitySpecs : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Script = """
        import sys, math, pandas as pd
        # Defaults first (what users type), then the exact options: pandas' default float parsers may be off by
        # one ulp, float_precision="round_trip" / precise_float=True read the shortest round-trip text exactly.
        frames = [("csv", pd.read_csv(sys.argv[1]), False),
                  ("jsonl", pd.read_json(sys.argv[2], lines=True, convert_dates=False), False),
                  ("csv exact", pd.read_csv(sys.argv[1], float_precision="round_trip"), True),
                  ("jsonl exact", pd.read_json(sys.argv[2], lines=True, convert_dates=False, precise_float=True), True)]
        for name, d, exact in frames:
            assert str(d["value"].dtype) == "float64", (name, d.dtypes)
            v = list(d["value"])
            assert v[0] == 0.5 and math.isnan(v[1]) and v[2] == math.inf and v[3] == -math.inf, (name, v)
            if exact:
                assert v[4] == 0.1 + 0.2 and v[5] == 1e300, (name, v)
            assert list(d["step"]) == [0, 1, 2, 3, 4, 5], (name, list(d["step"]))
            ts = list(d["timestamp"])
            assert ts[0] == 1700000000000 and math.isnan(ts[1]), (name, ts)
        print("ok")
        """;

    [Fact]
    public async Task Should_be_read_by_pandas_as_floats_with_nan_and_infinities()
    {
        var layout = new BackupLayout(_dir.Path);
        SeriesPoint[] points =
        [
            new(0, 0.5, 1700000000000), new(1, double.NaN, null), new(2, double.PositiveInfinity, 1700000000002),
            new(3, double.NegativeInfinity, null), new(4, 0.1 + 0.2, 5), new(5, 1e300, null),
        ];
        var files = new List<string>();
        foreach (var format in new[] { SeriesFormat.Csv, SeriesFormat.Jsonl })
        {
            await using var sink = SeriesSinks.Create(layout, "a/b/c", "loss", format);
            foreach (var p in points) await sink.WriteAsync(p, CancellationToken.None);
            files.Add(layout.FullPath((await sink.CompleteAsync(CancellationToken.None)).RelativePath));
        }
        var scriptPath = Path.Combine(_dir.Path, "check.py");
        await File.WriteAllTextAsync(scriptPath, Script);
        foreach (var python in new[] { "/usr/bin/python3", "python3" })
        {
            (int Exit, string Output) result;
            try { result = await RunAsync(python, [scriptPath, files[0], files[1]]); }
            catch (System.ComponentModel.Win32Exception) { continue; } // no such interpreter
            if (result.Output.Contains("No module named 'pandas'", StringComparison.Ordinal)) continue;
            Assert.True(result.Exit == 0, result.Output);
            Assert.Contains("ok", result.Output, StringComparison.Ordinal);
            return;
        }
        // No python3 with pandas on this machine: SeriesSinkSpecs still pins the exact bytes.
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
