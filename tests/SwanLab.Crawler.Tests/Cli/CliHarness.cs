using System.Threading.Channels;
using SwanLab.Crawler.Cli;
using SwanLab.Crawler.Configuration;
using SwanLab.Crawler.Crawl;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>Runs the CLI in-process with captured output and a fake environment.</summary>
internal sealed class CliHarness : IDisposable
{
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);
    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("swanlab-cli-").FullName;
    /// <summary>A tool folder without a config file, so only the embedded defaults apply unless a test writes one.</summary>
    public string ToolDirectory { get; }

    public CliHarness()
    {
        ToolDirectory = Path.Combine(WorkDirectory, "tool");
        Directory.CreateDirectory(ToolDirectory);
    }

    public void WriteToolConfig(string hocon)
    {
        Directory.CreateDirectory(Path.Combine(ToolDirectory, "config"));
        File.WriteAllText(Path.Combine(ToolDirectory, "config", "crawler.hocon"), hocon);
    }

    public string? Variable(string name) => Environment.GetValueOrDefault(name);

    public async Task<CliOutcome> RunAsync(ICrawlerBackend backend, params string[] args) =>
        await RunAsync(backend, CancellationToken.None, args);

    public async Task<CliOutcome> RunAsync(ICrawlerBackend backend, CancellationToken ct, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = CliEnvironment.Captured(stdout, stderr, Variable, ToolDirectory);
        var code = await CrawlerCli.RunAsync(args, env, backend, ct);
        return new CliOutcome(code, stdout.ToString(), stderr.ToString());
    }

    public ExportSettings Resolve(ExportFlags flags) => SettingsResolver.ResolveExport(flags, Variable, ToolDirectory);

    public void Dispose()
    {
        try { Directory.Delete(WorkDirectory, recursive: true); }
        catch (IOException) { }
    }
}

internal sealed record CliOutcome(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>A scriptable backend: each member does what the test sets, and records what it was given.</summary>
internal sealed class FakeBackend : ICrawlerBackend
{
    public Func<ConnectionSettings, ConnectedSource>? Connect { get; set; }
    public Func<CrawlSettings, ChannelWriter<CrawlEvent>, CancellationToken, Task<CrawlResult>>? Run { get; set; }
    public PlanView Plan { get; set; } = new(1, 2, 3, 1, 42, [new PlanRow("alice/mnist", 3, 1)]);
    public Func<string, StatusView>? Status { get; set; }
    public Func<string, VerifyView>? Verify { get; set; }
    public ConnectionSettings? ConnectedWith { get; private set; }
    public CrawlSettings? RanWith { get; private set; }
    public bool DemoStarted { get; private set; }
    public bool DemoStopped { get; private set; }

    public Task<DemoServer> StartDemoAsync(CancellationToken ct)
    {
        DemoStarted = true;
        return Task.FromResult(new DemoServer("http://127.0.0.1:5999", "DemoKey0123456789abcd", new Stopper(() => DemoStopped = true)));
    }

    public Task<ConnectedSource> ConnectAsync(ConnectionSettings connection, IRequestObserver? observer, CancellationToken ct)
    {
        ConnectedWith = connection;
        return Task.FromResult(Connect?.Invoke(connection) ?? new ConnectedSource(new NullSource(connection.Host ?? "https://api.swanlab.cn"), null));
    }

    public Task<PlanView> PlanAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct)
    {
        RanWith = settings;
        return Task.FromResult(Plan);
    }

    public Task<CrawlResult> RunAsync(CrawlSettings settings, ICrawlSource source, ChannelWriter<CrawlEvent> events, CancellationToken ct)
    {
        RanWith = settings;
        return Run?.Invoke(settings, events, ct)
               ?? Task.FromResult(new CrawlResult(1, 1, 0, 0, 0, 0, 0, Complete: true, Cancelled: false, []));
    }

    public Task<StatusView> ReadStatusAsync(string backupFolder, CancellationToken ct) =>
        Task.FromResult(Status?.Invoke(backupFolder) ?? throw new NotABackupException(backupFolder, "no backup.json"));

    public Task<VerifyView> VerifyAsync(string backupFolder, CancellationToken ct) =>
        Task.FromResult(Verify?.Invoke(backupFolder) ?? throw new NotABackupException(backupFolder, "no manifest.jsonl"));

    sealed class Stopper(Action stop) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            stop();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>A source with an identity and nothing in it; the fake backend never reads it.</summary>
internal sealed class NullSource(string host) : ICrawlSource
{
    public SourceIdentity Identity { get; } = new(host, "alice", "house");
    public IAsyncEnumerable<WorkspaceInfo> WorkspacesAsync(CancellationToken ct) => AsyncEnumerable.Empty<WorkspaceInfo>();
    public Task<WorkspaceInfo> WorkspaceAsync(string workspace, CancellationToken ct) => throw new NotSupportedException();
    public IAsyncEnumerable<ProjectInfo> ProjectsAsync(string workspace, CancellationToken ct) => AsyncEnumerable.Empty<ProjectInfo>();
    public Task<ProjectInfo> ProjectAsync(string projectPath, CancellationToken ct) => throw new NotSupportedException();
    public IAsyncEnumerable<RunSummary> RunsAsync(string projectPath, RunFilter filter, CancellationToken ct) => AsyncEnumerable.Empty<RunSummary>();
    public Task<RunDetail> RunAsync(string runPath, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<SeriesInfo>> SeriesAsync(RunDetail run, CancellationToken ct) => throw new NotSupportedException();
    public IAsyncEnumerable<ReadOnlyMemory<SeriesPoint>> StreamSeriesAsync(RunDetail run, SeriesInfo series, int? sample, CancellationToken ct) =>
        AsyncEnumerable.Empty<ReadOnlyMemory<SeriesPoint>>();
    public IAsyncEnumerable<LogLine> LogsAsync(RunDetail run, CancellationToken ct) => AsyncEnumerable.Empty<LogLine>();
    public IAsyncEnumerable<MediaItem> MediaAsync(RunDetail run, CancellationToken ct) => AsyncEnumerable.Empty<MediaItem>();
    public Task DownloadMediaAsync(RunDetail run, MediaItem item, Stream destination, CancellationToken ct) => throw new NotSupportedException();
}
