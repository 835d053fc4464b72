using System.Threading.Channels;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Import;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Cli;

/// <summary>What `import` and `migrate` drive besides what export does: the write side of a server and the import run.</summary>
internal interface IImportBackend
{
    /// <summary>
    /// Signs in to the target. Throws <see cref="CrawlerAuthenticationException"/> when it rejects the key,
    /// <see cref="ServerUnreachableException"/> when it cannot be reached.
    /// </summary>
    Task<ConnectedTarget> ConnectTargetAsync(ConnectionSettings connection, CancellationToken ct);

    /// <param name="secrets">Both keys, so no error text stored in the state folder can carry them.</param>
    Task<ImportResult> ImportAsync(ImportSettings settings, ICrawlSource source, ConnectedTarget target,
        ChannelWriter<CrawlEvent> events, IReadOnlyList<string> secrets, CancellationToken ct);
}

/// <summary>A signed-in target, its write side and its read side (for the read-back check); disposing releases them.</summary>
internal sealed class ConnectedTarget(IImportTarget target, ICrawlSource reader, IAsyncDisposable? lifetime) : IAsyncDisposable
{
    public IImportTarget Target { get; } = target;
    public ICrawlSource Reader { get; } = reader;
    public ValueTask DisposeAsync() => lifetime?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>This build cannot write to a server (exit 1, with the reason).</summary>
internal sealed class TargetUnavailableException(string message) : Exception(message);

/// <summary>
/// The production import backend. Writing to a server needs SwanLab.Client's upload API (the SDK's run transport),
/// which is being built beside this engine; until it is merged, connecting to a target says so instead of pretending.
/// </summary>
internal sealed class ProductionImportBackend : IImportBackend
{
    public Task<ConnectedTarget> ConnectTargetAsync(ConnectionSettings connection, CancellationToken ct) =>
        throw new TargetUnavailableException(
            "this build cannot upload to a SwanLab server yet: SwanLab.Client's write API (project/experiment create, " +
            "profile, /house/metrics, finish) is not part of it. Nothing was sent.");

    public async Task<ImportResult> ImportAsync(ImportSettings settings, ICrawlSource source, ConnectedTarget target,
        ChannelWriter<CrawlEvent> events, IReadOnlyList<string> secrets, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            return await ImportRunner.RunAsync(settings, source, target.Target, events, ct, secrets, target.Reader);
        }
        catch (SourceAuthenticationException e)
        {
            throw new CrawlerAuthenticationException(source.Identity.Host, rejected: true, e.Message, e);
        }
    }
}
