using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SwanLab.Bench.Harness;

/// <summary>One row of bench/results.md.</summary>
public sealed record ScenarioResult(string Scenario, string Figures, string Bound, string Ratio, string Target, bool Pass);

/// <summary>Writes the results table with the machine and date, since every figure depends on them.</summary>
public static class ResultsWriter
{
    public static string Render(IReadOnlyList<ScenarioResult> results, bool quick, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmark results");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Environment.ProcessorCount} cores, {TotalMemoryGiB():F0} GiB, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- mode: {(quick ? "--quick (smaller datasets; targets as for the full run)" : "full")}, {elapsed.TotalMinutes:F1} min in all");
        md.AppendLine("- command: `dotnet run -c Release --project bench/SwanLab.Bench" + (quick ? " -- --quick`" : "`"));
        md.AppendLine("- every figure is measured in the same run as its bound or baseline; the emulator runs in the bench process, the crawler as its own process");
        md.AppendLine();
        md.AppendLine("| scenario | figures | bound / baseline | ratio | target | result |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Scenario} | {r.Figures} | {r.Bound} | {r.Ratio} | {r.Target} | {(r.Pass ? "pass" : "**FAIL**")} |");
        }

        return md.ToString();
    }

    private static double TotalMemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
}
