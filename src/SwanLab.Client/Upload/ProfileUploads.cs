using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Client.Http;

namespace SwanLab.Client.Upload;

public sealed partial class SwanLabUploader
{
    /// <summary>
    /// Uploads the run's config (<c>PUT .../profile {"config": ...}</c>), one field per PUT as 0.9.7 does; the server
    /// merges fields. <paramref name="wrappedConfig"/> is the wire shape: every top-level entry <c>{value, desc, sort}</c>
    /// (what a run object's <c>profile.config</c> holds; build it from plain values with <see cref="WrapConfig"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The config is not a JSON object.</exception>
    public Task PutConfigAsync(UploadRun run, JsonElement wrappedConfig, CancellationToken ct = default)
    {
        if (wrappedConfig.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("The config must be a JSON object.", nameof(wrappedConfig));
        return PutProfileFieldAsync(run, "config", wrappedConfig, ct);
    }

    /// <summary>Uploads the run's metadata object (<c>PUT .../profile {"metadata": ...}</c>).</summary>
    /// <exception cref="ArgumentException">The metadata is not a JSON object.</exception>
    public Task PutMetadataAsync(UploadRun run, JsonElement metadata, CancellationToken ct = default)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("The metadata must be a JSON object.", nameof(metadata));
        return PutProfileFieldAsync(run, "metadata", metadata, ct);
    }

    /// <summary>Uploads <c>pip freeze</c> text (<c>PUT .../profile {"requirements": ...}</c>); empty text is not sent, as 0.9.7 does.</summary>
    public Task PutRequirementsAsync(UploadRun run, string requirements, CancellationToken ct = default) =>
        string.IsNullOrEmpty(requirements) ? Task.CompletedTask : PutProfileFieldAsync(run, "requirements", requirements, ct);

    /// <summary>Uploads the conda YAML (<c>PUT .../profile {"conda": ...}</c>); empty text is not sent, as 0.9.7 does.</summary>
    public Task PutCondaAsync(UploadRun run, string conda, CancellationToken ct = default) =>
        string.IsNullOrEmpty(conda) ? Task.CompletedTask : PutProfileFieldAsync(run, "conda", conda, ct);

    private Task PutProfileFieldAsync(UploadRun run, string field, object value, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        return SendAsync(HttpMethod.Put, UploadEndpoints.Profile(run.Project.Workspace, run.Project.Name, run.Cuid),
            new Dictionary<string, object?> { [field] = value }, RequestRetry.Transient, $"Profile ({field}) of run '{run.Path}'", ct);
    }

    /// <summary>
    /// Wraps plain config values as the SDK does: <c>{"lr": 0.01}</c> → <c>{"lr": {"value": 0.01, "desc": "", "sort": 0}}</c>,
    /// <c>sort</c> = position, nested values left raw.
    /// </summary>
    /// <exception cref="ArgumentException">The config is not a JSON object.</exception>
    public static JsonElement WrapConfig(JsonElement plainConfig)
    {
        if (plainConfig.ValueKind != JsonValueKind.Object)
            throw new ArgumentException("The config must be a JSON object.", nameof(plainConfig));
        var wrapped = new JsonObject();
        var sort = 0;
        foreach (var property in plainConfig.EnumerateObject())
        {
            wrapped[property.Name] = new JsonObject
            {
                ["value"] = JsonNode.Parse(property.Value.GetRawText()),
                ["desc"] = "",
                ["sort"] = sort++,
            };
        }
        return JsonSerializer.SerializeToElement(wrapped);
    }

    /// <summary>
    /// Declares chart columns, at most <see cref="SwanLabUploadOptions.MaxColumnsPerRequest"/> per request: multi-view
    /// projects (<see cref="UploadProject.Version"/> 1) <c>POST /projects/{ws}/{p}/series</c>, older ones the 0.7.8 array
    /// <c>POST /experiment/{cuid}/columns</c>. A column declared twice stays one column (inferred: columns are keyed by key),
    /// so these requests are retried like reads.
    /// </summary>
    public async Task DeclareColumnsAsync(UploadRun run, IReadOnlyList<ColumnSpec> columns, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(columns);
        foreach (var chunk in columns.Chunk(Options.MaxColumnsPerRequest))
        {
            if (run.Project.Version == 1)
            {
                var series = chunk.Select(c =>
                {
                    var item = new Dictionary<string, object?> { ["key"] = c.Key, ["type"] = c.System ? "SYSTEM" : c.Type };
                    if (Section(c) is { } section)
                        item["sectionName"] = section;
                    return item;
                }).ToArray();
                await SendAsync(HttpMethod.Post, UploadEndpoints.Series(run.Project.Workspace, run.Project.Name),
                    new Dictionary<string, object?> { ["series"] = series }, RequestRetry.Transient, $"Columns of run '{run.Path}'", ct).ConfigureAwait(false);
            }
            else
            {
                var legacy = chunk.Select(c =>
                {
                    var item = new Dictionary<string, object?> { ["key"] = c.Key, ["type"] = c.Type };
                    if (c.System)
                    {
                        item["class"] = "SYSTEM";
                        item["sectionType"] = "SYSTEM";
                    }
                    if (Section(c) is { } section)
                        item["sectionName"] = section;
                    return item;
                }).ToArray();
                await SendAsync(HttpMethod.Post, UploadEndpoints.LegacyColumns(run.Cuid), legacy, RequestRetry.Transient,
                    $"Columns of run '{run.Path}'", ct).ConfigureAwait(false);
            }
        }
    }

    private static string? Section(ColumnSpec column)
    {
        if (column.SectionName is { } named)
            return named.Length > 0 ? named : null;
        var slash = column.Key.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? column.Key[..slash] : null;
    }
}
