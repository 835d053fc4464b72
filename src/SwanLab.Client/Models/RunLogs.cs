using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client;

/// <summary>How a server reads the <c>epoch</c> parameter of <c>GET /house/metrics/log</c>, as learnt from its pages.</summary>
public enum LogPaging
{
    /// <summary>Everything came in the first page, so the reading never mattered.</summary>
    OnePage,

    /// <summary>The SDK 0.9.7 reading: <c>epoch</c> is a shard index, shard k = lines [k*size, (k+1)*size).</summary>
    Shard,

    /// <summary><c>epoch</c> is the number of lines to skip.</summary>
    Offset,

    /// <summary><c>epoch</c> is a line epoch: lines with a greater epoch come back.</summary>
    AfterEpoch,

    /// <summary>Offset or after-epoch, which gave the same pages (dense epochs); paged safely for both.</summary>
    Sequential,
}

public sealed partial class Run
{
    private static readonly string[] LogLevels = ["DEBUG", "INFO", "WARN", "ERROR"];

    /// <summary>
    /// Console log lines of one <c>level</c> query (<c>GET /house/metrics/log</c>), every page of it, in epoch order.
    /// What the server returns for a level (only that level, or that level and above) is up to the server; paging follows
    /// the SDK (epoch = shard index) and recognises servers that read epoch as an offset or as "after this epoch" (see
    /// <see cref="AllLogsAsync"/>). The server's <c>count</c> is not checked here, because on some servers it counts
    /// every level; <see cref="AllLogsAsync"/> checks it.
    /// </summary>
    /// <exception cref="SwanLabCapabilityUnavailableException">The server has no log route.</exception>
    public async IAsyncEnumerable<LogEntry> LogsAsync(string level = "INFO", [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (!LogLevels.Contains(level, StringComparer.Ordinal))
            throw new ArgumentException("level must be DEBUG, INFO, WARN or ERROR.", nameof(level));
        var query = await ReadLogQueryAsync(level, ct).ConfigureAwait(false);
        foreach (var line in InEpochOrder(query.Lines))
            yield return line;
    }

    /// <summary>
    /// Every console line of the run exactly once, in epoch order (then level, DEBUG first), in as few requests as the
    /// server allows. Levels are asked lowest first: when the DEBUG answer already holds lines of other levels the server's
    /// filter means "this level and above" (or nothing), so that answer is everything and no other level is asked;
    /// otherwise each level is asked and the answers are merged, a line seen twice being kept once. Each level is paged
    /// as the SDK documents (epoch = shard index); a second page that repeats the first shows a server that reads epoch
    /// as an offset or as "after this epoch", and paging continues by that reading (or, while the two cannot be told
    /// apart, by the smaller cursor, which can repeat lines but never skip one).
    /// <para>
    /// The server's <c>count</c> is checked: a level whose pages held fewer lines than its count fails, unless every
    /// level reported the same count (a server counting the whole run) and the merged lines reach it.
    /// </para>
    /// <para>
    /// Fewer requests once the server has proven, on runs read in full, that its resume summary's last log epoch is true
    /// and that it numbers lines with one counter per run (as both SDKs do): a run whose summary names no epoch has
    /// no lines (no request), and otherwise levels are read only until every epoch up to the summary's is held
    /// (<see cref="LogsUpToEpochAsync"/>). Until then, and on any server whose answers refute either, every level is read.
    /// </para>
    /// </summary>
    /// <exception cref="SwanLabCapabilityUnavailableException">The server has no log route.</exception>
    /// <exception cref="SwanLabLogsIncompleteException">The lines read cannot be reconciled with the server's count.</exception>
    public async Task<IReadOnlyList<LogEntry>> AllLogsAsync(CancellationToken ct = default)
    {
        var trust = _api.ResumeSummaryTrust;
        var held = await ResumeSummaryAsync(ct).ConfigureAwait(false);
        if (held is not null && trust.LogProven && trust.EpochsPerRunProven)
        {
            // The summary's log epoch is proven, and absent only where a run has no lines.
            if (held.LastLogEpoch is not { } last)
                return [];
            return await LogsUpToEpochAsync(last, ct).ConfigureAwait(false);
        }

        var log = new MergedLog();
        foreach (var level in LogLevels)
        {
            var query = await log.ReadAsync(this, level, ct).ConfigureAwait(false);
            // Lines of another level in a level's answer: the filter is not exact, and asked lowest first it held everything.
            if (!query.ExactLevel)
                break;
        }
        var lines = log.Checked(Path);
        RecordLogEvidence(held, lines);
        return lines;
    }

    /// <summary>
    /// The shortcut once the server proved one epoch counter per run and its summary's last epoch: INFO first (the SDK's
    /// default, and what both SDKs write most), then WARN (0.7.8's stderr), ERROR (a crash), DEBUG, stopping as soon as
    /// the lines hold every epoch up to <paramref name="last"/> and every count is met. An answer holding other levels
    /// (a filter that is not exact) is followed by DEBUG, which then holds everything. Lines never reconciled are checked
    /// against the counts as in the full read.
    /// </summary>
    private async Task<IReadOnlyList<LogEntry>> LogsUpToEpochAsync(long last, CancellationToken ct)
    {
        var log = new MergedLog();
        foreach (var level in (string[])["INFO", "WARN", "ERROR", "DEBUG"])
        {
            if (log.Asked(level))
                continue;
            var query = await log.ReadAsync(this, level, ct).ConfigureAwait(false);
            if (CoversEpochs(log.Lines, last) && log.Unreconciled(Path) is null)
                return InEpochOrder(log.Lines);
            if (!query.ExactLevel)
            {
                if (!log.Asked("DEBUG"))
                    await log.ReadAsync(this, "DEBUG", ct).ConfigureAwait(false);
                break;
            }
        }
        var lines = log.Checked(Path);
        if (Settled && !CoversEpochs(lines, last))
            _api.ResumeSummaryTrust.Log(lines.Count > 0 && lines.Max(l => l.Epoch) == last);
        return lines;
    }

    /// <summary>The level queries of one run merged, a line seen in two answers kept once.</summary>
    private sealed class MergedLog
    {
        private readonly HashSet<LogIdentity> _seen = [];
        private readonly List<LogQuery> _queries = [];

        public List<LogEntry> Lines { get; } = [];

        public bool Asked(string level) => _queries.Any(q => q.Level == level);

        public async Task<LogQuery> ReadAsync(Run run, string level, CancellationToken ct)
        {
            var query = await run.ReadLogQueryAsync(level, ct).ConfigureAwait(false);
            _queries.Add(query);
            foreach (var line in query.Lines)
            {
                if (_seen.Add(LogIdentity.Of(line)))
                    Lines.Add(line);
            }
            return query;
        }

        /// <summary>
        /// The server's <c>count</c> check: a level whose pages held fewer lines than its count is not reconciled, unless
        /// every level asked reported the same count (a count of the whole run) and the merged lines reach it.
        /// </summary>
        public SwanLabLogsIncompleteException? Unreconciled(string path)
        {
            var counts = _queries.Where(q => q.Count is not null).Select(q => q.Count).Distinct().Count();
            foreach (var query in _queries)
            {
                if (query.Count is not { } count || query.Lines.Count >= count)
                    continue;
                if (counts == 1 && Lines.Count >= count)
                    continue;
                return new SwanLabLogsIncompleteException(
                    $"Logs of run '{path}': the server reports {count.ToString(CultureInfo.InvariantCulture)} line(s) for level {query.Level} " +
                    $"but its pages held {query.Lines.Count.ToString(CultureInfo.InvariantCulture)} ({query.Requests.ToString(CultureInfo.InvariantCulture)} " +
                    $"request(s), paging read as {query.Paging}); a partial log is not kept.", "GET /api/house/metrics/log");
            }
            return null;
        }

        /// <summary>The lines in epoch order, or the count check's failure.</summary>
        public List<LogEntry> Checked(string path) => Unreconciled(path) is { } incomplete ? throw incomplete : InEpochOrder(Lines);
    }

    private static List<LogEntry> InEpochOrder(IReadOnlyList<LogEntry> lines) =>
        lines.Select((line, arrival) => (line, arrival))
            .OrderBy(x => x.line.Epoch).ThenBy(x => LevelRank(x.line.Level)).ThenBy(x => x.arrival)
            .Select(x => x.line).ToList();

    private static int LevelRank(string level) => NormalLevel(level) is { } known ? Array.IndexOf(LogLevels, known) : LogLevels.Length;

    /// <summary>DEBUG/INFO/WARN/ERROR whatever the case (and WARNING as WARN); null for any other level.</summary>
    private static string? NormalLevel(string level)
    {
        var upper = level.ToUpperInvariant();
        if (upper == "WARNING")
            return "WARN";
        return LogLevels.Contains(upper, StringComparer.Ordinal) ? upper : null;
    }

    /// <summary>Every page of one level query, deduplicated, in the order the server sent them.</summary>
    private async Task<LogQuery> ReadLogQueryAsync(string level, CancellationToken ct)
    {
        var query = new LogQuery(level);
        var first = await LogPageAsync(query, 0, ct).ConfigureAwait(false);
        query.Add(first);
        // A short first page ends the query, unless the count says there is more (a server whose pages are smaller).
        var pageSize = first.Lines.Count;
        if (pageSize == 0 || (pageSize < LogShardSize && !(query.Count > query.Lines.Count)))
            return query;

        var second = await LogPageAsync(query, 1, ct).ConfigureAwait(false);
        var overlaps = second.Lines.Any(query.Contains);
        var fresh = query.Add(second);
        if (fresh == 0)
            return query;
        if (!overlaps)
        {
            // Page 1 follows page 0: the shard reading the SDK documents.
            query.Paging = LogPaging.Shard;
            var page = second;
            for (long shard = 2; fresh > 0 && MayHaveMore(query, page, pageSize); shard++)
            {
                page = await LogPageAsync(query, shard, ct).ConfigureAwait(false);
                fresh = query.Add(page);
            }
            return query;
        }

        // Page "1" repeats page 0: epoch is an offset (it starts at line 1) or an epoch (it starts at the first line after epoch 1).
        var startsAt = first.Lines.FindIndex(l => LogIdentity.Of(l) == LogIdentity.Of(second.Lines[0]));
        var afterEpochStart = first.Lines.FindIndex(l => l.Epoch > 1);
        query.Paging = startsAt == 1 && afterEpochStart == 1 ? LogPaging.Sequential
            : startsAt == 1 ? LogPaging.Offset
            : startsAt == afterEpochStart ? LogPaging.AfterEpoch
            : LogPaging.Sequential;
        var last = second;
        while (MayHaveMore(query, last, pageSize))
        {
            var received = query.Lines.Count;
            var lastEpoch = query.LastEpoch;
            var cursor = query.Paging switch
            {
                LogPaging.Offset => received,
                LogPaging.AfterEpoch => lastEpoch,
                // Both cursors are safe to send when they agree; otherwise the smaller one repeats lines but skips none.
                _ => Math.Min(received, lastEpoch),
            };
            last = await LogPageAsync(query, cursor, ct).ConfigureAwait(false);
            var repeated = last.Lines.Any(query.Contains);
            if (query.Paging == LogPaging.Sequential && repeated)
            {
                // An offset cursor repeats nothing on an offset server, an epoch cursor nothing on an after-epoch one.
                query.Paging = cursor == received && received != lastEpoch ? LogPaging.AfterEpoch
                    : cursor == lastEpoch && received != lastEpoch ? LogPaging.Offset
                    : LogPaging.Sequential;
            }
            if (query.Add(last) == 0)
                break;
        }
        return query;
    }

    /// <summary>
    /// Whether to ask for another page: the last one was full, or the count says lines are missing. A count equal to a
    /// full page's length may be that page's own length (some servers count the page), so it does not end the query.
    /// </summary>
    private static bool MayHaveMore(LogQuery query, LogPage last, int pageSize)
    {
        if (last.Lines.Count == 0)
            return false;
        if (query.Count is not { } count)
            return last.Lines.Count >= pageSize;
        return query.Lines.Count < count || (last.Lines.Count >= pageSize && count == last.Lines.Count);
    }

    private async Task<LogPage> LogPageAsync(LogQuery query, long epoch, CancellationToken ct)
    {
        var projectId = await ProjectIdAsync(ct).ConfigureAwait(false);
        var json = await OptionalReadAsync(ServerCapability.Logs, HttpMethod.Get,
            Endpoints.HouseLogs(projectId, Id, LogShardSize, epoch, query.Level, RootProjectId, RootRunId, CreatedAtUnixSeconds), null,
            $"Logs of run '{Path}'", ct).ConfigureAwait(false);
        query.Requests++;
        var lines = json.Prop("logs").Items()
            .Where(line => line.ValueKind == JsonValueKind.Object)
            .Select(line => new LogEntry(line.Long("epoch") ?? 0, line.Str("level"), line.Str("message"),
                line.StrOrNull("timestamp") ?? line.StrOrNull("create_time"), line))
            .ToList();
        return new LogPage(lines, json.Long("count"));
    }

    private sealed record LogPage(List<LogEntry> Lines, long? Count);

    /// <summary>What makes two log lines the same line, whichever query brought them (epochs alone may repeat per level).</summary>
    private readonly record struct LogIdentity(long Epoch, string Level, string Message, string? Timestamp)
    {
        public static LogIdentity Of(LogEntry line) => new(line.Epoch, line.Level, line.Message, line.Timestamp);
    }

    /// <summary>One level query being paged: its distinct lines in arrival order, the last count and the requests sent.</summary>
    private sealed class LogQuery(string level)
    {
        private readonly HashSet<LogIdentity> _seen = [];

        public string Level { get; } = level;
        public List<LogEntry> Lines { get; } = [];
        public long? Count { get; private set; }
        public int Requests { get; set; }
        public long LastEpoch { get; private set; }
        public LogPaging Paging { get; set; } = LogPaging.OnePage;

        /// <summary>No line of another level came back: the server's filter may be exact.</summary>
        public bool ExactLevel => Lines.All(l => NormalLevel(l.Level) is not { } other || other == Level);

        public bool Contains(LogEntry line) => _seen.Contains(LogIdentity.Of(line));

        /// <summary>Adds a page's new lines; returns how many were new.</summary>
        public int Add(LogPage page)
        {
            if (page.Count is { } count)
                Count = count;
            var fresh = 0;
            foreach (var line in page.Lines)
            {
                if (!_seen.Add(LogIdentity.Of(line)))
                    continue;
                Lines.Add(line);
                LastEpoch = Math.Max(LastEpoch, line.Epoch);
                fresh++;
            }
            return fresh;
        }
    }
}
