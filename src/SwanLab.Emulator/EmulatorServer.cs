using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Endpoints;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator;

/// <summary>
/// A SwanLab server on 127.0.0.1 (Kestrel, HTTP/1.1 so custom reason phrases reach the client).
/// API base is <c>BaseUrl + "/api"</c>; presigned objects live under <c>/swanlab-private/</c>;
/// <c>GET /__emulator/stats</c> reports request counters and is never subject to faults.
/// </summary>
public sealed class EmulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmulatorServer(WebApplication app, Uri baseUrl, Backend backend)
    {
        _app = app;
        BaseUrl = baseUrl;
        Backend = backend;
    }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    public string ApiKey => Backend.Options.ApiKey;

    /// <summary>Ground truth: what the server serves.</summary>
    public EmulatorDataset Dataset => Backend.Dataset;

    /// <summary>Fault knobs, changeable at runtime.</summary>
    public EmulatorFaults Faults => Backend.Faults;

    public EmulatorStats Stats => Backend.Stats;

    internal Backend Backend { get; }

    public static async Task<EmulatorServer> StartAsync(EmulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ApiKey.Length != 21 || !options.ApiKey.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException("The API key must be 21 ASCII letters or digits.", nameof(options));
        }

        // Generation and host construction are independent; overlapping them keeps demo start-up well under 2 s.
        var generation = Task.Run(() => DatasetGenerator.Generate(options), ct);

        // The empty builder skips configuration files, environment providers and default logging: nothing to log, nothing to configure.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(EmulatorServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 512L * 1024 * 1024;
            k.Listen(IPAddress.Loopback, options.Port, l => l.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddRoutingCore();
        // The embedding process owns signals (tests, or Program's Ctrl+C handling), not the host.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedLifetime>();

        var app = builder.Build();
        var dataset = await generation.ConfigureAwait(false);
        var backend = new Backend(options, dataset, new EmulatorFaults(options), new EmulatorStats());
        app.Use(ErrorBarrier);
        if (options.Legacy)
        {
            app.Use(LegacyMiddleware(backend));
        }

        app.Use(ServerVariants.Middleware(backend));
        app.UseRouting();
        app.Use(FaultMiddleware(backend));
        MapAll(app, backend);

        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var baseUrl = new Uri("http://127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        backend.Store.BaseUrl = baseUrl;
        return new EmulatorServer(app, baseUrl, backend);
    }

    /// <summary>
    /// Answers every House read as an older server without that service does: 404 Not Found. What the 0.7.8 SDK itself
    /// sends under /house (metric uploads, the resume summary, the heartbeat, the OpenApi summary) stays: such a server
    /// takes 0.7.8 runs. It predates multi-view projects too: no <c>/projects/...</c> routes, no project <c>version</c>.
    /// </summary>
    private static Func<HttpContext, RequestDelegate, Task> LegacyMiddleware(Backend b) => (ctx, next) =>
    {
        var isHouse = ctx.Request.Path.StartsWithSegments("/api/house", StringComparison.Ordinal);
        if ((!isHouse || IsLegacyHouseWrite(ctx.Request)) && !ctx.Request.Path.StartsWithSegments("/api/projects", StringComparison.Ordinal))
        {
            return next(ctx);
        }

        b.Stats.CountRequest(ctx.Request.Method + (isHouse ? " /api/house" : " /api/projects") + " (legacy 404)");
        ctx.Response.StatusCode = StatusCodes.Status404NotFound;
        ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!.ReasonPhrase = "Not Found";
        return Task.CompletedTask;
    };

    private static bool IsLegacyHouseWrite(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        return (HttpMethods.IsPost(request.Method) && (path is "/api/house/metrics" or "/api/house/metrics/summaries" ||
                                                       (path.StartsWith("/api/house/experiments/", StringComparison.Ordinal) &&
                                                        path.EndsWith("/heartbeat", StringComparison.Ordinal)))) ||
               (HttpMethods.IsGet(request.Method) && path.StartsWith("/api/house/metrics/summaries/", StringComparison.Ordinal));
    }

    private static void MapAll(WebApplication app, Backend b)
    {
        AccountEndpoints.Map(app, b);
        ProjectEndpoints.Map(app, b);
        RunEndpoints.Map(app, b);
        RunWriteEndpoints.Map(app, b);
        MetricEndpoints.Map(app, b);
        SummaryEndpoints.Map(app, b);
        LogEndpoints.Map(app, b);
        MediaEndpoints.Map(app, b);
        ScalarReadEndpoints.Map(app, b);
        MetricUploadEndpoints.Map(app, b);
        FileEndpoints.Map(app, b);
        app.MapGet("/__emulator/stats", (RequestDelegate)(ctx => Json.Write(ctx, w =>
            JsonSerializer.Serialize(w, b.Stats.Snapshot(), StatsJson.Default.EmulatorStatsSnapshot))));

        // Switch faults of a command-line instance at runtime: any subset of the knobs, e.g. {"failRate": 0.1, "rateLimit": 50}.
        app.MapPost("/__emulator/faults", (RequestDelegate)(async ctx =>
        {
            if (await Json.ReadBody(ctx) is not System.Text.Json.Nodes.JsonObject body)
            {
                await Json.BadRequest(ctx, "JSON object expected");
                return;
            }

            var f = b.Faults;
            double? Num(string name) => body[name] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
            if (Num("latencyMs") is { } latency) { f.LatencyMs = (int)latency; }
            if (Num("jitterMs") is { } jitter) { f.JitterMs = (int)jitter; }
            if (Num("rateLimit") is { } rate) { f.RateLimit = rate; }
            if (Num("failRate") is { } fail) { f.FailRate = fail; }
            if (Num("resetRate") is { } reset) { f.ResetRate = reset; }
            if (Num("truncateRate") is { } truncate) { f.TruncateRate = truncate; }
            if (Num("slowRate") is { } slow) { f.SlowRate = slow; }
            if (Num("slowMs") is { } slowMs) { f.SlowDelay = TimeSpan.FromMilliseconds(slowMs); }
            if (Num("malformedRate") is { } malformedRate) { f.MalformedRate = malformedRate; }
            string? Text(string name) => body[name] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var t) ? t : null;
            try
            {
                if (body["absentRoutes"] is System.Text.Json.Nodes.JsonArray absent)
                {
                    f.AbsentRoutes = absent.Select(a => ServerVariants.Parse(a?.GetValue<string>() ?? ""))
                        .Aggregate(EmulatorRoutes.None, (all, one) => all | one);
                }

                if (Text("logPaging") is { } paging) { f.LogPaging = ServerVariants.ParsePaging(paging); }
                if (Text("logLevels") is { } levels) { f.LogLevels = ServerVariants.ParseLevels(levels); }
                if (Text("logEpochs") is { } epochs) { f.LogEpochs = ServerVariants.ParseEpochs(epochs); }
                if (Text("resumeSummary") is { } summary) { f.ResumeSummary = ServerVariants.ParseResumeSummary(summary); }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            {
                await Json.BadRequest(ctx, e.Message);
                return;
            }

            if (body["malformed"] is System.Text.Json.Nodes.JsonArray targets)
            {
                try
                {
                    f.MalformedTargets = targets.Select(t => MalformedTarget.Parse(t?.GetValue<string>() ?? "")).ToList();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
                {
                    await Json.BadRequest(ctx, e.Message);
                    return;
                }
            }

            await Json.Write(ctx, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("latencyMs", f.LatencyMs);
                w.WriteNumber("jitterMs", f.JitterMs);
                w.WriteNumber("rateLimit", f.RateLimit);
                w.WriteNumber("failRate", f.FailRate);
                w.WriteNumber("resetRate", f.ResetRate);
                w.WriteNumber("truncateRate", f.TruncateRate);
                w.WriteNumber("slowRate", f.SlowRate);
                w.WriteNumber("slowMs", f.SlowDelay.TotalMilliseconds);
                w.WriteNumber("malformedRate", f.MalformedRate);
                w.WriteStartArray("malformed");
                foreach (var target in f.MalformedTargets)
                {
                    w.WriteStringValue(target.ToString());
                }

                w.WriteEndArray();
                w.WriteStartArray("absentRoutes");
                foreach (var name in ServerVariants.Names(f.AbsentRoutes))
                {
                    w.WriteStringValue(name);
                }

                w.WriteEndArray();
                w.WriteString("logPaging", ServerVariants.Name(f.LogPaging));
                w.WriteString("logLevels", ServerVariants.Name(f.LogLevels));
                w.WriteString("logEpochs", ServerVariants.Name(f.LogEpochs));
                w.WriteString("resumeSummary", ServerVariants.Name(f.ResumeSummary));
                w.WriteEndObject();
            });
        }));
    }

    /// <summary>A handler bug becomes a 500 whose message names it, instead of an empty 500.</summary>
    private static async Task ErrorBarrier(HttpContext ctx, RequestDelegate next)
    {
        try
        {
            await next(ctx);
        }
        catch (Exception e) when (!ctx.Response.HasStarted && !ctx.RequestAborted.IsCancellationRequested)
        {
            ctx.Response.Clear();
            await Json.Error(ctx, 500, "Internal Server Error", "EMULATOR_BUG", e.GetType().Name + ": " + e.Message);
        }
    }

    private static Func<HttpContext, RequestDelegate, Task> FaultMiddleware(Backend b)
    {
        var endpointKeys = new ConcurrentDictionary<Endpoint, string>();
        return async (ctx, next) =>
        {
            if (ctx.Request.Path.StartsWithSegments("/__emulator"))
            {
                await next(ctx);
                return;
            }

            var endpoint = ctx.GetEndpoint();
            var name = endpoint is null
                ? ctx.Request.Method + " (unmatched)"
                : endpointKeys.GetOrAdd(endpoint, e => ctx.Request.Method + " " + ((e as RouteEndpoint)?.RoutePattern.RawText ?? e.DisplayName));
            b.Stats.CountRequest(name);
            var faults = b.Faults;

            if (ctx.Request.Path.StartsWithSegments("/api") && faults.TryAcquire() is { } retryAfter)
            {
                b.Stats.CountRateLimited();
                ctx.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Json.Error(ctx, 429, "Too Many Requests", "TOO_MANY_REQUESTS", "rate limit exceeded");
                return;
            }

            var delay = faults.LatencyMs + (faults.JitterMs > 0 ? faults.NextInt(0, faults.JitterMs + 1) : 0);
            if (delay > 0)
            {
                await Task.Delay(delay, ctx.RequestAborted);
            }

            if (faults.Draw(faults.SlowRate))
            {
                b.Stats.CountSlow();
                await Task.Delay(faults.SlowDelay, ctx.RequestAborted);
            }

            if (faults.Draw(faults.FailRate))
            {
                b.Stats.CountFailure();
                var (status, reason) = faults.NextInt(0, 3) switch
                {
                    0 => (500, "Internal Server Error"),
                    1 => (502, "Bad Gateway"),
                    _ => (503, "Service Unavailable"),
                };
                await Json.Error(ctx, status, reason, "INJECTED_FAULT", "injected " + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            }

            if (faults.Draw(faults.ResetRate))
            {
                b.Stats.CountReset();
                var aborting = new AbortingStream(ctx, faults);
                ctx.Response.Body = aborting;
                await next(ctx);
                if (!aborting.Aborted)
                {
                    await ctx.Response.Body.FlushAsync();
                    ctx.Abort();
                }

                return;
            }

            if (await Malformation.DecideAsync(ctx, faults) is { } malformed)
            {
                await Malformation.RespondSpoiledAsync(ctx, next, b, malformed.Kind, malformed.Targeted);
                return;
            }

            await next(ctx);
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(EmulatorStatsSnapshot))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class StatsJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Passes part of the body through, then kills the connection (the reset fault).</summary>
internal sealed class AbortingStream(HttpContext ctx, EmulatorFaults faults) : Stream
{
    private readonly Stream _inner = ctx.Response.Body;
    private long _written;
    private long _cut = -1;

    public bool Aborted { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Aborted)
        {
            return;
        }

        if (_cut < 0)
        {
            var length = ctx.Response.ContentLength ?? 16384;
            _cut = faults.NextInt(0, (int)Math.Max(1, Math.Min(length, int.MaxValue)));
        }

        if (_written + buffer.Length <= _cut)
        {
            _written += buffer.Length;
            await _inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        var keep = (int)(_cut - _written);
        if (keep > 0)
        {
            await _inner.WriteAsync(buffer[..keep], cancellationToken);
        }

        await _inner.FlushAsync(cancellationToken);
        Aborted = true;
        ctx.Abort();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Aborted ? Task.CompletedTask : _inner.FlushAsync(cancellationToken);

    public override void Flush() => FlushAsync().GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

internal sealed class EmbeddedLifetime : Microsoft.Extensions.Hosting.IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
