using System.Text.Json;
using SwanLab.Client.Http;
using SwanLab.Client.Upload;

namespace SwanLab.Client;

public sealed partial class Run
{
    private Task<ResumeSummary?>? _resumeSummary;

    /// <summary>
    /// What the server says it holds for this run: the resume summary the SDK resumes from
    /// (<c>GET /house/metrics/summaries/{p}/{e}?all=True&amp;createdAt=&lt;s&gt;</c>): last step per scalar and media key,
    /// last log epoch. One request per run object, however many reads ask. Null where it cannot be used: 0.7.8-era
    /// servers, cloned runs (their data lives under the root run), a server without the route or whose answer is not a
    /// summary (then not asked again), or a request that failed. Reads use it only for members the server has proven
    /// true on another run (<see cref="SwanLabApi.ResumeSummaryTrust"/>); otherwise it only gathers that proof.
    /// </summary>
    public Task<ResumeSummary?> ResumeSummaryAsync(CancellationToken ct = default)
    {
        var known = Volatile.Read(ref _resumeSummary);
        if (known is not null && !known.IsCanceled)
            return known;
        var read = ReadResumeSummaryAsync(ct);
        var winner = Interlocked.CompareExchange(ref _resumeSummary, read, known);
        return winner == known ? read : winner!;
    }

    private async Task<ResumeSummary?> ReadResumeSummaryAsync(CancellationToken ct)
    {
        var trust = _api.ResumeSummaryTrust;
        if (!trust.Usable || RootRunId is not null || RootProjectId is not null)
            return null;
        if (await _api.DetectProtocolAsync(ct).ConfigureAwait(false) != SwanLabProtocol.House)
            return null;
        JsonElement json;
        try
        {
            var projectId = await ProjectIdAsync(ct).ConfigureAwait(false);
            json = await Connection.GetJsonAsync(UploadEndpoints.ResumeSummary(projectId, Id, CreatedAtUnixSeconds), ct,
                $"Resume summary of run '{Path}'").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SwanLabNotFoundException or SwanLabForbiddenException or SwanLabProtocolException
                                       or SwanLabNotSupportedException)
        {
            // The server has no such read for us: every read goes the full way, and it is not asked again.
            trust.RouteUnusable();
            return null;
        }
        catch (Exception ex) when (ex is SwanLabServerException or SwanLabConnectionException or SwanLabRateLimitedException)
        {
            // Only a shortcut is lost: this run's reads go the full way.
            return null;
        }
        if (json.ValueKind != JsonValueKind.Object)
        {
            trust.RouteUnusable();
            return null;
        }
        long? lastLog = null;
        foreach (var item in json.Prop("log").Items())
        {
            if (item.Long("step") is { } epoch)
                lastLog = Math.Max(lastLog ?? epoch, epoch);
        }
        return new ResumeSummary(SummarySteps(json.Prop("scalar")), SummarySteps(json.Prop("media")), lastLog, json);
    }

    private static Dictionary<string, long> SummarySteps(JsonElement list)
    {
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var item in list.Items())
        {
            if (item.StrOrNull("key") is { } key && item.Long("step") is { } step)
                steps[key] = steps.TryGetValue(key, out var known) ? Math.Max(known, step) : step;
        }
        return steps;
    }

    /// <summary>
    /// A running run's data may grow between the summary and the reads, so it proves nothing. Its shortcuts are a
    /// snapshot at the summary: no line or item the server held then is skipped (a log line newer than the summary's
    /// epoch makes every level be read), as a full read is a snapshot at the time of each of its requests.
    /// </summary>
    private bool Settled => !string.Equals(State, "RUNNING", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The latest step of each key, for checking a download is complete: from the resume summary when the server has
    /// proven its scalar steps true and it names every key (no request beyond the summary), else
    /// <see cref="LastStepsAsync"/> (whose answer, compared with the summary, is that proof).
    /// </summary>
    /// <exception cref="SwanLabNotSupportedException">The server has no metric value statistics (pre-0.9 servers).</exception>
    public async Task<IReadOnlyDictionary<string, long?>> ExpectedLastStepsAsync(IReadOnlyList<string> keys, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var trust = _api.ResumeSummaryTrust;
        var held = await ResumeSummaryAsync(ct).ConfigureAwait(false);
        if (held is not null && trust.ScalarsProven && keys.Count > 0 && keys.All(held.ScalarSteps.ContainsKey))
            return keys.Distinct(StringComparer.Ordinal).ToDictionary(k => k, k => (long?)held.ScalarSteps[k], StringComparer.Ordinal);
        var steps = await LastStepsAsync(keys, ct).ConfigureAwait(false);
        if (held is not null && Settled && keys.Count > 0)
        {
            trust.Scalars(keys.All(k => steps.GetValueOrDefault(k) is { } last
                ? held.ScalarSteps.TryGetValue(k, out var said) && said == last
                : !held.ScalarSteps.ContainsKey(k)));
        }
        return steps;
    }

    /// <summary>
    /// Whether the summary proves the run has no media, so its listing can be skipped: its <c>media</c> member is an
    /// empty list (absent or null proves nothing), and the server's summary has been proven on media (it listed every
    /// key a run's listing found) or on both scalars and logs (a summary kept as the SDK reads it), and never caught
    /// missing a media key.
    /// </summary>
    private bool SummaryProvesNoMedia(ResumeSummary held)
    {
        var trust = _api.ResumeSummaryTrust;
        return held.Json.Prop("media").ValueKind == JsonValueKind.Array && held.MediaSteps.Count == 0 && !trust.MediaRefuted &&
               (trust.MediaProven || (trust.ScalarsProven && trust.LogProven));
    }

    /// <summary>A full media listing held items of <paramref name="keys"/>: the summary named them all, or it is refuted.</summary>
    private void RecordMediaEvidence(ResumeSummary? held, IReadOnlyCollection<string> keys)
    {
        if (held is null || !Settled || keys.Count == 0)
            return;
        _api.ResumeSummaryTrust.Media(keys.All(held.MediaSteps.ContainsKey));
    }

    /// <summary>
    /// A full log read: the summary's last epoch must be the lines' last one (a summary naming no epoch for a run with
    /// lines, or one for a run without, is refuted); epochs shared by two lines refute one counter per run, and lines of
    /// two levels or more with one epoch each, contiguous from 0 or 1, prove it.
    /// </summary>
    private void RecordLogEvidence(ResumeSummary? held, IReadOnlyList<LogEntry> lines)
    {
        if (held is null || !Settled)
            return;
        var trust = _api.ResumeSummaryTrust;
        if (lines.Count == 0)
        {
            if (held.LastLogEpoch is not null)
                trust.Log(false);
            return;
        }
        var max = lines.Max(l => l.Epoch);
        trust.Log(held.LastLogEpoch == max);
        var epochs = lines.Select(l => l.Epoch).Distinct().Count();
        if (epochs < lines.Count)
        {
            trust.EpochsPerRun(false);
            return;
        }
        var min = lines.Min(l => l.Epoch);
        var levels = lines.Select(l => NormalLevel(l.Level) ?? l.Level).Distinct(StringComparer.Ordinal).Count();
        if (levels >= 2 && min is 0 or 1 && max - min + 1 == lines.Count)
            trust.EpochsPerRun(true);
    }

    /// <summary>Every epoch from 0 or 1 up to <paramref name="last"/>, once each: under one counter per run, nothing is missing.</summary>
    private static bool CoversEpochs(IReadOnlyList<LogEntry> lines, long last)
    {
        if (lines.Count == 0)
            return false;
        var epochs = lines.Select(l => l.Epoch).ToHashSet();
        var min = epochs.Min();
        return epochs.Count == lines.Count && epochs.Max() == last && min is 0 or 1 && last - min + 1 == epochs.Count;
    }
}
