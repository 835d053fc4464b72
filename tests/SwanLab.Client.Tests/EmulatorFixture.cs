using SwanLab.Emulator;

namespace SwanLab.Client.Tests;

/// <summary>One fault-free Tiny emulator shared by the read-only specs of a class.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public EmulatorServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await EmulatorServer.StartAsync(new EmulatorOptions { Seed = 7, Size = DatasetSize.Tiny });

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public Task<SwanLabApi> ConnectAsync(int pageSize = 20) => Connect(Server, pageSize: pageSize);

    /// <summary>Options tuned for tests: tiny backoffs, short waits, no real environment.</summary>
    public static Task<SwanLabApi> Connect(EmulatorServer server, int retries = 5, int pageSize = 20, TimeSpan? attemptTimeout = null) =>
        SwanLabApi.ConnectAsync(new SwanLabApiOptions
        {
            ApiKey = server.ApiKey,
            Host = server.BaseUrl.ToString(),
            MaxRetries = retries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(2),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(10),
            PageSize = pageSize,
            Environment = SwanLabEnvironment.Empty(Path.GetTempPath()),
        });
}

/// <summary>A clock tests can move forward (presigned URL expiry).</summary>
public sealed class ManualClock : TimeProvider
{
    private TimeSpan _offset;

    public void Advance(TimeSpan by) => _offset += by;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;
}
