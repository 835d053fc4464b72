using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Import;

/// <summary>Everything one import or migrate needs besides the source and the target.</summary>
public sealed record ImportSettings
{
    /// <summary>Selections, concurrency and retries, as for export (its OutputDirectory is ignored).</summary>
    public required CrawlSettings Crawl { get; init; }
    /// <summary>Where the per-target state goes: DIR/.swanlab-crawler for import, --state-dir for migrate.</summary>
    public required string StateDirectory { get; init; }
    public ImportMapping Mapping { get; init; } = ImportMapping.None;
    public ConflictPolicy OnConflict { get; init; } = ConflictPolicy.Fail;
}

/// <summary>
/// How an import ended: the crawl's result, what was sent, the ledger of every run, and the read-back check (null when
/// no reader of the target was given). <see cref="Complete"/> only when every run was imported and read back equal.
/// </summary>
public sealed record ImportResult(CrawlResult Crawl, ImportCounts Counts, IReadOnlyList<RunLedger> Runs, string StateFolder,
    VerifyReport? Verification)
{
    public bool Complete => Crawl.Complete && Verification is { AllMatched: true };
}

/// <summary>
/// The edge of import and migrate: the same <see cref="CrawlRunner"/> and actor tree as export, with the source
/// (a backup folder or server A) and <see cref="ServerDestination"/> over the target. State per target host, in
/// <c>&lt;state&gt;/import/&lt;host-key&gt;/</c>: <c>ledger.jsonl</c> (what was confirmed per run) and the usual
/// checkpoint under its own <c>.swanlab-crawler/</c>, so the same folder can be imported into several servers.
/// </summary>
public static class ImportRunner
{
    /// <summary>The state folder for one target host under <paramref name="stateDirectory"/>.</summary>
    public static string StateFolder(string stateDirectory, string targetHost)
    {
        var host = targetHost.Trim().TrimEnd('/').ToLowerInvariant();
        var readable = new StringBuilder();
        foreach (var c in host.Replace("https://", "", StringComparison.Ordinal).Replace("http://", "", StringComparison.Ordinal))
            readable.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(host)))[..8];
        return Path.Combine(stateDirectory, "import", $"{readable}~{hash}");
    }

    /// <exception cref="SourceAuthenticationException">Either side rejected its key.</exception>
    /// <exception cref="CrawlAbortedException">The import could not go on at all.</exception>
    /// <param name="targetReader">The target's read side; after the import every run it touched is read back and compared.</param>
    public static async Task<ImportResult> RunAsync(ImportSettings settings, ICrawlSource source, IImportTarget target,
        ChannelWriter<CrawlEvent>? events, CancellationToken ct, IEnumerable<string>? secrets = null, ICrawlSource? targetReader = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var folder = StateFolder(settings.StateDirectory, target.Identity.Host);
        Directory.CreateDirectory(folder);
        var stateLayout = new BackupLayout(folder);
        await using var checkpoint = new FileCheckpointStore(stateLayout, secrets);
        await using var ledger = await ImportLedger.OpenAsync(Path.Combine(folder, "ledger.jsonl"), ct).ConfigureAwait(false);
        var destination = new ServerDestination(target, ledger, settings.Mapping, settings.OnConflict);
        var crawl = settings.Crawl with { OutputDirectory = folder };
        var result = await CrawlRunner.RunAsync(crawl, source, destination, checkpoint, events, ct).ConfigureAwait(false);
        VerifyReport? verification = null;
        if (targetReader is not null && !result.Cancelled)
        {
            var seen = destination.RunsSeen.ToHashSet(StringComparer.Ordinal);
            var pairs = ledger.Runs.Where(r => seen.Contains(r.SourcePath) && r.Target is not null)
                .Select(r => (r.SourcePath, r.Target!.Path)).ToList();
            verification = await ImportVerifier.VerifyAsync(source, targetReader, pairs, crawl.IncludeLogs, crawl.IncludeMedia, ct,
                    Math.Clamp(crawl.RunConcurrency, 1, 16))
                .ConfigureAwait(false);
        }
        return new ImportResult(result, destination.Counts,
            ledger.Runs.OrderBy(r => r.SourcePath, StringComparer.Ordinal).ToList(), folder, verification);
    }
}
