using System.Globalization;
using System.Text;

namespace SwanLab.Crawler.Tests.View;

/// <summary>A small hand-written backup (format v1) with hostile and unicode names and one long series.</summary>
internal static class ViewFixture
{
    public const string HostileName = "<script>window.SWV_ERRORS.push('xss')</script><img src=x onerror=\"window.SWV_ERRORS.push('img')\">";
    public const string UnicodeName = "基线 ✨ αβ";

    public static string Create(int longSeriesPoints = 10_000)
    {
        var root = Directory.CreateTempSubdirectory("swanlab-view-").FullName;
        Write(root, "backup.json", "{\"complete\": true, \"format\": \"swanlab-backup\", \"source\": {\"host\": \"demo\", \"user\": \"alice\"}, \"version\": 1}\n");
        Write(root, "manifest.jsonl", "");
        Write(root, "alice/workspace.json", "{\"name\": \"Alice\", \"type\": \"PERSON\", \"username\": \"alice\"}\n");
        Write(root, "alice/proj/project.json", "{\"name\": \"proj\", \"description\": \"" + UnicodeName + "\"}\n");
        Run(root, "run1", HostileName, longSeriesPoints);
        Run(root, "run2", UnicodeName, 20);
        return root;
    }

    static void Run(string root, string id, string name, int points)
    {
        var dir = $"alice/proj/{id}";
        var jsonName = name.Replace("\"", "\\\"", StringComparison.Ordinal);
        Write(root, dir + "/run.json", "{\"cuid\": \"" + id + "\", \"name\": \"" + jsonName + "\", \"state\": \"FINISHED\", \"createdAt\": \"2025-03-01T14:35:00.000Z\", " +
            "\"finishedAt\": \"2025-03-01T15:35:00.000Z\", \"cluster\": \"g\", \"job\": \"train\", \"labels\": [{\"name\": \"" + jsonName + "\"}], " +
            "\"profile\": {\"config\": {\"lr\": {\"desc\": \"\", \"sort\": 0, \"value\": 0.01}, \"model\": {\"desc\": \"\", \"sort\": 1, \"value\": {\"name\": \"" + jsonName + "\"}}}, " +
            "\"metadata\": {\"host\": \"n1\"}, \"requirements\": \"numpy==1.26.4\\n\"}}\n");
        var csv = new StringBuilder("step,value,timestamp\n");
        for (var i = 0; i < points; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{i},{Math.Sin(i / 50.0) + i * 1e-4:R},{1_740_000_000_000L + i * 10}\n");
        Write(root, dir + "/metrics/train%2Floss.csv", csv.ToString());
        Write(root, dir + "/metrics/index.json", "{\"format\": \"csv\", \"sample\": null, \"series\": {\"train/loss\": {\"bytes\": 1, \"expectedLastStep\": null, " +
            $"\"expectedPoints\": null, \"file\": \"train%2Floss.csv\", \"firstStep\": 0, \"lastStep\": {points - 1}, \"points\": {points}, \"sha256\": \"x\"}}}}}}\n");
        Write(root, dir + "/logs.jsonl", "{\"level\":\"INFO\",\"message\":\"" + jsonName + "\",\"timestamp\":\"2025-03-01T14:35:01.000Z\"}\n");
        Write(root, dir + "/media/samples%2Fimage/0-a.png", "png");
    }

    public static void Write(string root, string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
    }

    /// <summary>Every file under <paramref name="root"/> with its bytes, relative path keyed.</summary>
    public static SortedDictionary<string, string> Snapshot(string root, Func<string, bool>? include = null) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(r => include?.Invoke(r) ?? true)
            .ToDictionary(r => r, r => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(root, r))))),
            StringComparer.Ordinal);
}
