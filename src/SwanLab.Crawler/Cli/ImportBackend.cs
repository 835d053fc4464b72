using System.Threading.Channels;
using SwanLab.Client;
using SwanLab.Client.RateLimiting;
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
    /// <param name="observer">Told of the target's retries and 429s (the log, --verbose).</param>
    Task<ConnectedTarget> ConnectTargetAsync(ConnectionSettings connection, IRequestObserver? observer, CancellationToken ct);

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

/// <summary>
/// The production import backend: the target through SwanLab.Client (its own session, retry pipeline and request
/// budget, separate from the source's), written by <see cref="SwanLabClientTarget"/> and read back by
/// <see cref="SwanLabClientSource"/>.
/// </summary>
internal sealed class ProductionImportBackend : IImportBackend
{
    public async Task<ConnectedTarget> ConnectTargetAsync(ConnectionSettings connection, IRequestObserver? observer, CancellationToken ct)
    {
        var client = await ClientConnector.ConnectAsync(connection, observer, ct);
        return new ConnectedTarget(new SwanLabClientTarget(client.Api), new SwanLabClientSource(client.Api), client);
    }

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
