using System.Runtime.CompilerServices;
using System.Text.Json;
using SwanLab.Client.Http;
using SwanLab.Client.Upload;

namespace SwanLab.Client;

public sealed partial class Run
{
    /// <summary>
    /// Every media item of the given keys (default: all media keys), every step (<c>POST /house/metrics/f_media</c>),
    /// with presigned download URLs (<c>POST /resources/presigned/get</c>). Asked of every server, 0.7.8 ones included:
    /// what a server offers is learnt from its answers, not assumed from its version. All keys of a run whose resume
    /// summary lists no media, on a server whose summary has proven true, cost no request.
    /// </summary>
    /// <exception cref="SwanLabCapabilityUnavailableException">The server has no media routes.</exception>
    public async IAsyncEnumerable<MediaItem> MediaAsync(IReadOnlyList<string>? keys = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ResumeSummary? held = null;
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (keys is null)
        {
            // A proven summary that lists no media spares the listing (see SummaryProvesNoMedia).
            held = await ResumeSummaryAsync(ct).ConfigureAwait(false);
            if (held is not null && SummaryProvesNoMedia(held))
                yield break;
            var all = new List<string>();
            await foreach (var key in SeriesKeysAsync(SeriesKind.Media, ct).ConfigureAwait(false))
                all.Add(key.Key);
            keys = all;
        }
        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            var items = await MediaOfKeyAsync(key, ct).ConfigureAwait(false);
            if (items.Count > 0)
                found.Add(key);
            foreach (var item in items)
                yield return item;
        }
        RecordMediaEvidence(held, found);
    }

    private async Task<List<MediaItem>> MediaOfKeyAsync(string key, CancellationToken ct)
    {
        var projectId = await ProjectIdAsync(ct).ConfigureAwait(false);
        var json = await OptionalReadAsync(ServerCapability.Media, HttpMethod.Post, Endpoints.HouseMediaAllSteps,
            new Dictionary<string, object?> { ["projectId"] = projectId, ["columns"] = new[] { ColumnRef(key) } },
            $"Media '{key}' of run '{Path}'", ct).ConfigureAwait(false);
        var entry = json.ValueKind == JsonValueKind.Array
            ? json.Items().FirstOrDefault(e => e.ValueKind == JsonValueKind.Object && e.Str("key", key) == key)
            : json;
        var pending = new List<(long Step, string Path, string? Caption, JsonElement Entry)>();
        foreach (var stepEntry in entry.Prop("metrics").Items())
        {
            if (stepEntry.ValueKind != JsonValueKind.Object)
                continue;
            var step = stepEntry.Long("index") ?? 0;
            var more = stepEntry.Prop("more").Items().ToList();
            var i = 0;
            foreach (var data in stepEntry.Prop("data").Items())
            {
                if (data.ValueKind == JsonValueKind.String)
                {
                    var caption = i < more.Count ? more[i].StrOrNull("caption") : null;
                    pending.Add((step, data.GetString()!, caption, stepEntry));
                }
                i++;
            }
        }
        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in pending.Select(p => p.Path).Distinct(StringComparer.Ordinal).Chunk(PresignBatch))
        {
            var presigned = await PresignMediaAsync(projectId, chunk, ct).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length && i < presigned.Count; i++)
                if (presigned[i] is { } url)
                    urls[chunk[i]] = url;
        }
        return pending.Select(p => new MediaItem(key, p.Step, p.Path, urls.GetValueOrDefault(p.Path), p.Caption, p.Entry)).ToList();
    }

    private async Task<List<string?>> PresignMediaAsync(string projectId, IReadOnlyList<string> paths, CancellationToken ct)
    {
        var json = await Connection.PostJsonAsync(Endpoints.ResourcesPresignedGet,
            new Dictionary<string, object?> { ["prefix"] = $"{projectId}/{Id}", ["paths"] = paths }, ct, $"Presigning media of run '{Path}'")
            .ConfigureAwait(false);
        return json.Prop("urls").Items()
            .Select(u => u.ValueKind == JsonValueKind.String ? Connection.ResolveDownloadUrl(u.GetString()!).AbsoluteUri : null).ToList();
    }

    /// <summary>
    /// Downloads one media item into <paramref name="destination"/> and returns the byte count. An expired or missing URL
    /// is presigned again; a broken transfer into a seekable stream is restarted (rewinding it), into any other stream it
    /// throws <see cref="SwanLabConnectionException"/>.
    /// </summary>
    public async Task<long> DownloadMediaAsync(MediaItem item, Stream destination, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(destination);
        var options = Connection.Options;
        var start = destination.CanSeek ? destination.Position : 0;
        var url = item.Url;
        var attempts = 0;
        while (true)
        {
            if (url is null)
            {
                var projectId = await ProjectIdAsync(ct).ConfigureAwait(false);
                url = (await PresignMediaAsync(projectId, [item.Path], ct).ConfigureAwait(false)).FirstOrDefault()
                      ?? throw new SwanLabProtocolException($"No download URL for media '{item.Path}'.", "POST /api/" + Endpoints.ResourcesPresignedGet);
            }
            var uri = Connection.ResolveDownloadUrl(url);
            var endpoint = SwanLabConnection.Describe(HttpMethod.Get, uri);
            using var response = await Connection.SendAsync(HttpMethod.Get, uri, null, RequestAuth.None, bufferBody: false, ct).ConfigureAwait(false);
            if (IsExpiredUrlStatus(response.StatusCode) && ++attempts <= options.MaxRetries)
            {
                Connection.Statistics.CountUrlRefresh();
                url = null;
                continue;
            }
            await Connection.EnsureSuccessAsync(response, endpoint, $"Media '{item.Path}' of run '{Path}'", ct).ConfigureAwait(false);
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await body.CopyToAsync(destination, ct).ConfigureAwait(false);
                return destination.CanSeek ? destination.Position - start : -1;
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                Connection.Statistics.CountConnectionFault();
                if (!destination.CanSeek || ++attempts > options.MaxRetries)
                    throw new SwanLabConnectionException($"Download of media '{item.Path}' of run '{Path}' broke off.", endpoint, ex);
                destination.Position = start;
                destination.SetLength(start);
                Connection.Statistics.CountUrlRefresh();
                url = null;
            }
        }
    }
}
