using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Import;

/// <summary>One run compared with its copy: matched when <see cref="Mismatches"/> is empty.</summary>
public sealed record RunCheck(string SourcePath, string TargetPath, IReadOnlyList<string> Mismatches, int SeriesCompared, long PointsCompared)
{
    public bool Matched => Mismatches.Count == 0;
}

/// <summary>The outcome of reading the target back.</summary>
public sealed record VerifyReport(IReadOnlyList<RunCheck> Runs)
{
    public bool AllMatched => Runs.All(r => r.Matched);
}

/// <summary>
/// Reads the target back and compares it with the source, run by run: the run's fields (name, state, createdAt,
/// finishedAt, description, group, job type, labels, config, metadata, requirements, conda), every series (point
/// count, first/last step, SHA-256 of steps and values, and of timestamps), log lines (count and SHA-256 of epoch,
/// level, message) and media (per key and step, SHA-256 of each file's bytes). Both sides are <see cref="ICrawlSource"/>s,
/// so the same check serves import (backup folder vs server), migrate (server vs server) and
/// <c>verify --out DIR --against HOST</c>. Fields a server may legitimately own (colours it picks, user, updatedAt) are
/// not compared.
/// </summary>
public static class ImportVerifier
{
    /// <param name="targetPaths">Source run path -> target run path (mapping and new ids applied).</param>
    /// <param name="concurrency">
    /// Runs checked at once: one at a time, a read-back of many small runs was bound by request latency and left most
    /// of a rate-limited target's budget unused. The report is in source path order whatever the concurrency.
    /// </param>
    public static async Task<VerifyReport> VerifyAsync(ICrawlSource source, ICrawlSource target,
        IReadOnlyList<(string Source, string Target)> targetPaths, bool includeLogs, bool includeMedia, CancellationToken ct,
        int concurrency = 8)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetPaths);
        var ordered = targetPaths.OrderBy(p => p.Source, StringComparer.Ordinal).ToList();
        var checks = new RunCheck[ordered.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, ordered.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = ct },
            async (i, token) => checks[i] = await CheckRunAsync(source, target, ordered[i].Source, ordered[i].Target, includeLogs, includeMedia, token)
                .ConfigureAwait(false)).ConfigureAwait(false);
        return new VerifyReport(checks);
    }

    private static async Task<RunCheck> CheckRunAsync(ICrawlSource source, ICrawlSource target, string sourcePath, string targetPath,
        bool includeLogs, bool includeMedia, CancellationToken ct)
    {
        var mismatches = new List<string>();
        var from = await source.RunAsync(sourcePath, ct).ConfigureAwait(false);
        RunDetail to;
        try
        {
            to = await target.RunAsync(targetPath, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not SourceAuthenticationException)
        {
            return new RunCheck(sourcePath, targetPath, [$"not readable on the target: {e.Message}"], 0, 0);
        }

        Compare(mismatches, "name", from.Name, to.Name);
        Compare(mismatches, "state", from.State, to.State);
        CompareInstant(mismatches, "createdAt", from.CreatedAt, to.CreatedAt);
        if (!string.Equals(from.State, "RUNNING", StringComparison.OrdinalIgnoreCase))
            CompareInstant(mismatches, "finishedAt", from.FinishedAt, to.FinishedAt);
        foreach (var field in new[] { "description", "cluster", "job" })
            Compare(mismatches, field, Str(from.Raw, field) ?? "", Str(to.Raw, field) ?? "");
        Compare(mismatches, "labels", string.Join(",", Labels(from.Raw)), string.Join(",", Labels(to.Raw)));
        foreach (var field in new[] { "config", "metadata", "requirements", "conda" })
            Compare(mismatches, $"profile.{field}", Profile(from.Raw, field), Profile(to.Raw, field));

        var fromSeries = await source.SeriesAsync(from, ct).ConfigureAwait(false);
        var toSeries = (await target.SeriesAsync(to, ct).ConfigureAwait(false)).ToDictionary(s => s.Key, StringComparer.Ordinal);
        long points = 0;
        foreach (var series in fromSeries)
        {
            if (!toSeries.Remove(series.Key, out var copy))
            {
                mismatches.Add($"series '{series.Key}': missing on the target");
                continue;
            }
            // Both sides at once: reading the backup (or server A) overlaps the target's answer.
            var readA = DigestAsync(source, from, series, ct);
            var readB = DigestAsync(target, to, copy, ct);
            await Task.WhenAll(readA, readB).ConfigureAwait(false);
            var (a, b) = (await readA.ConfigureAwait(false), await readB.ConfigureAwait(false));
            points += a.Count;
            if (a.Count != b.Count || a.First != b.First || a.Last != b.Last)
                mismatches.Add($"series '{series.Key}': {a.Count} points (steps {a.First}..{a.Last}) in the source, {b.Count} ({b.First}..{b.Last}) on the target");
            else if (a.Values != b.Values)
                mismatches.Add($"series '{series.Key}': same steps, different values");
            else if (a.Timestamps != b.Timestamps)
                mismatches.Add($"series '{series.Key}': same values, different timestamps");
        }
        foreach (var extra in toSeries.Keys.Order(StringComparer.Ordinal))
            mismatches.Add($"series '{extra}': on the target only");

        if (includeLogs)
        {
            var (countA, hashA) = await LogDigestAsync(source, from, ct).ConfigureAwait(false);
            var (countB, hashB) = await LogDigestAsync(target, to, ct).ConfigureAwait(false);
            if (countA != countB) mismatches.Add($"logs: {countA} lines in the source, {countB} on the target");
            else if (hashA != hashB) mismatches.Add("logs: same number of lines, different content");
        }
        if (includeMedia)
        {
            var a = await MediaDigestAsync(source, from, ct).ConfigureAwait(false);
            var b = await MediaDigestAsync(target, to, ct).ConfigureAwait(false);
            // Captions are compared where the source knows them (not from a backup written before media.jsonl).
            var withCaptions = a.CaptionsKnown;
            foreach (var key in a.Steps.Keys.Union(b.Steps.Keys).Order())
            {
                var left = a.Steps.GetValueOrDefault(key);
                var right = b.Steps.GetValueOrDefault(key);
                if (left is null || right is null)
                    mismatches.Add($"media {key}: {(left is null ? "on the target only" : "missing on the target")}");
                else if (left.Files != right.Files)
                    mismatches.Add($"media {key}: different files");
                else if (withCaptions && left.Captions != right.Captions)
                    mismatches.Add($"media {key}: same files, different captions");
            }
        }
        return new RunCheck(sourcePath, targetPath, mismatches, fromSeries.Count, points);
    }

    private sealed record SeriesDigest(long Count, long? First, long? Last, string Values, string Timestamps);

    private static async Task<SeriesDigest> DigestAsync(ICrawlSource side, RunDetail run, SeriesInfo series, CancellationToken ct)
    {
        // Off the caller's thread, so the two sides of a comparison really run side by side.
        await Task.Yield();
        using var values = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var stamps = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        long? first = null, last = null;
        // 16 bytes per point per hash, appended 1,024 points at a time (one AppendData per point cost more than the parse).
        const int chunkPoints = 1024;
        var valueBytes = new byte[chunkPoints * 16];
        var stampBytes = new byte[chunkPoints * 16];
        var filled = 0;
        await foreach (var chunk in side.StreamSeriesAsync(run, series, null, ct).ConfigureAwait(false))
        {
            for (var i = 0; i < chunk.Length; i++)
            {
                var p = chunk.Span[i];
                count++;
                first ??= p.Step;
                last = p.Step;
                var at = filled * 16;
                BinaryPrimitives.WriteInt64LittleEndian(valueBytes.AsSpan(at), p.Step);
                // NaN payloads may differ between writers; every NaN is the same value here.
                BinaryPrimitives.WriteInt64LittleEndian(valueBytes.AsSpan(at + 8), double.IsNaN(p.Value) ? long.MinValue : BitConverter.DoubleToInt64Bits(p.Value));
                BinaryPrimitives.WriteInt64LittleEndian(stampBytes.AsSpan(at), p.Step);
                BinaryPrimitives.WriteInt64LittleEndian(stampBytes.AsSpan(at + 8), p.TimestampMs ?? long.MinValue);
                if (++filled < chunkPoints) continue;
                values.AppendData(valueBytes);
                stamps.AppendData(stampBytes);
                filled = 0;
            }
        }
        values.AppendData(valueBytes, 0, filled * 16);
        stamps.AppendData(stampBytes, 0, filled * 16);
        return new SeriesDigest(count, first, last, Convert.ToHexStringLower(values.GetHashAndReset()), Convert.ToHexStringLower(stamps.GetHashAndReset()));
    }

    private static async Task<(long Count, string Hash)> LogDigestAsync(ICrawlSource side, RunDetail run, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        await foreach (var line in side.LogsAsync(run, ct).ConfigureAwait(false))
        {
            count++;
            hash.AppendData(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{line.Epoch}\u0001{line.Level}\u0001{line.Message}\u0002")));
        }
        return (count, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private sealed record MediaStepDigest(string Files, string Captions);

    private sealed record MediaDigest(Dictionary<string, MediaStepDigest> Steps, bool CaptionsKnown);

    /// <summary>"'key' step N" -> the sorted SHA-256s of the files at that step, and the same with each file's caption.</summary>
    private static async Task<MediaDigest> MediaDigestAsync(ICrawlSource side, RunDetail run, CancellationToken ct)
    {
        var files = new SortedDictionary<string, List<(string Sha, string? Caption)>>(StringComparer.Ordinal);
        var captionsKnown = true;
        await foreach (var item in side.MediaAsync(run, ct).ConfigureAwait(false))
        {
            using var bytes = new MemoryStream();
            await side.DownloadMediaAsync(run, item, bytes, ct).ConfigureAwait(false);
            var key = FormattableString.Invariant($"'{item.Key}' step {item.Step}");
            if (!files.TryGetValue(key, out var list)) files[key] = list = [];
            list.Add((Convert.ToHexStringLower(SHA256.HashData(bytes.GetBuffer().AsSpan(0, (int)bytes.Length))), item.Caption));
            captionsKnown &= item.CaptionKnown;
        }
        return new MediaDigest(files.ToDictionary(f => f.Key, f =>
        {
            var sorted = f.Value.OrderBy(x => x.Sha, StringComparer.Ordinal).ThenBy(x => x.Caption, StringComparer.Ordinal).ToList();
            return new MediaStepDigest(string.Join(",", sorted.Select(x => x.Sha)),
                string.Join("\u0002", sorted.Select(x => x.Sha + "\u0001" + (x.Caption ?? "\u0000"))));
        }, StringComparer.Ordinal), captionsKnown);
    }

    private static void Compare(List<string> mismatches, string field, string? source, string? target)
    {
        if (!string.Equals(source ?? "", target ?? "", StringComparison.Ordinal))
            mismatches.Add($"{field}: {Show(source)} in the source, {Show(target)} on the target");
    }

    private static void CompareInstant(List<string> mismatches, string field, string? source, string? target)
    {
        if (Instant(source) != Instant(target))
            mismatches.Add($"{field}: {Show(source)} in the source, {Show(target)} on the target");
    }

    private static string Show(string? text) => text is null ? "none" : text.Length > 80 ? $"'{text[..77]}...'" : $"'{text}'";

    private static DateTimeOffset? Instant(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    private static IEnumerable<string> Labels(JsonElement raw) =>
        raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Array
            ? l.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : Str(x, "name")).OfType<string>().Order(StringComparer.Ordinal)
            : [];

    /// <summary>A profile field in canonical JSON (keys sorted); empty when absent, null or an empty string.</summary>
    private static string Profile(JsonElement raw, string field)
    {
        if (!(raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("profile", out var profile) && profile.ValueKind == JsonValueKind.Object
              && profile.TryGetProperty(field, out var value)))
            return "";
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return "";
        if (value.ValueKind == JsonValueKind.String) return value.GetString() ?? "";
        if (value.ValueKind == JsonValueKind.Object && !value.EnumerateObject().Any()) return "";
        return Encoding.UTF8.GetString(CanonicalJson.SerializeLine(value));
    }

    private static string? Str(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
