using System.Diagnostics;
using SwanLab.Emulator;

namespace SwanLab.Bench.Harness;

/// <summary>
/// Samples an emulator's counters while a crawl runs, to time the window in which requests actually arrived
/// (first to last), so process start-up and shutdown don't dilute the achieved request rate.
/// </summary>
public sealed class RequestWindow : IAsyncDisposable
{
    private readonly EmulatorServer _server;
    private readonly EmulatorStatsSnapshot _before;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _first;
    private TimeSpan _last;
    private long _lastSeen;

    public RequestWindow(EmulatorServer server)
    {
        _server = server;
        _before = server.Stats.Snapshot();
        _lastSeen = _before.ApiRequests;
        _sampler = SampleAsync();
    }

    /// <summary>API requests (incl. 429s) seen since this window opened; downloads are outside the server's limit.</summary>
    public long Requests => _server.Stats.Snapshot().ApiRequests - _before.ApiRequests;

    public async Task<WindowFigures> CloseAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        var after = _server.Stats.Snapshot();
        var requests = after.ApiRequests - _before.ApiRequests;
        var throttled = after.RateLimited - _before.RateLimited;
        var span = _first is { } first ? _last - first : TimeSpan.Zero;
        return new WindowFigures(requests, throttled, span);
    }

    private async Task SampleAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = _server.Stats.Snapshot().ApiRequests;
                if (now != _lastSeen)
                {
                    _first ??= _clock.Elapsed;
                    _last = _clock.Elapsed;
                    _lastSeen = now;
                }

                await Task.Delay(10, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _sampler;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}

/// <summary>Requests in a window, how many were 429s, and how long the window was.</summary>
public sealed record WindowFigures(long Requests, long Throttled, TimeSpan Span)
{
    public long Served => Requests - Throttled;
    public double ServedPerSecond => Span.TotalSeconds > 0 ? Served / Span.TotalSeconds : 0;
    public double ThrottledShare => Requests > 0 ? (double)Throttled / Requests : 0;
}
