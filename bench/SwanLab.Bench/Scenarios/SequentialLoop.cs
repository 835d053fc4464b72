using SwanLab.Client;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;
using SwanLab.Emulator;

namespace SwanLab.Bench.Scenarios;

/// <summary>
/// The baseline of scenario 3: what a user scripts with the SDK — workspace, project, run, each key, one request
/// at a time — writing the same series files the crawler writes (same sink), so the bytes can be compared.
/// </summary>
public static class SequentialLoop
{
    public static async Task<long> ExportAsync(EmulatorServer server, string outDir, CancellationToken ct = default)
    {
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = server.ApiKey,
            Host = server.BaseUrl.ToString().TrimEnd('/'),
        }, ct);
        var layout = new BackupLayout(outDir);
        long points = 0;
        await foreach (var workspace in api.WorkspacesAsync(ct: ct))
        {
            await foreach (var project in api.ProjectsAsync(workspace.Username, ct: ct))
            {
                await foreach (var listed in api.RunsAsync(project.Path, ct: ct))
                {
                    var run = await api.RunAsync(listed.Path, ct);
                    await foreach (var key in run.SeriesKeysAsync(ct: ct))
                    {
                        await using var sink = SeriesSinks.Create(layout, run.Path, key.Key, SeriesFormat.Csv);
                        await foreach (var point in run.StreamMetricAsync(key.Key, ct))
                        {
                            await sink.WriteAsync(new SeriesPoint(point.Step, point.Value, point.TimestampMs), ct);
                            points++;
                        }

                        await sink.CompleteAsync(ct);
                    }
                }
            }
        }

        return points;
    }
}
