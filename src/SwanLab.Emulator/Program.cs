using System.Globalization;
using SwanLab.Emulator;

// Command line: dotnet run --project src/SwanLab.Emulator -- --port 0 --seed 7 --size demo --api-key <21 alnum> ...
var options = new EmulatorOptions();
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        int Int() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
        double Real() => double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
        switch (args[i])
        {
            case "--port": options.Port = Int(); break;
            case "--seed": options.Seed = Int(); break;
            case "--size": options.Size = Enum.Parse<DatasetSize>(Value(), ignoreCase: true); break;
            case "--api-key": options.ApiKey = Value(); break;
            case "--self-hosted": options.SelfHosted = true; break;
            case "--legacy": options.Legacy = true; break;
            case "--no-logs-route": options.AbsentRoutes |= EmulatorRoutes.Logs; break;
            case "--no-media-routes": options.AbsentRoutes |= EmulatorRoutes.Media; break;
            case "--no-summaries-route": options.AbsentRoutes |= EmulatorRoutes.Summaries; break;
            case "--log-paging": options.LogPaging = SwanLab.Emulator.Http.ServerVariants.ParsePaging(Value()); break;
            case "--log-levels": options.LogLevels = SwanLab.Emulator.Http.ServerVariants.ParseLevels(Value()); break;
            case "--log-epochs": options.LogEpochs = SwanLab.Emulator.Http.ServerVariants.ParseEpochs(Value()); break;
            case "--resume-summary": options.ResumeSummary = SwanLab.Emulator.Http.ServerVariants.ParseResumeSummary(Value()); break;
            case "--log-lines": options.LogLinesPerRun = Int(); break;
            case "--export-columns": options.ExportColumns = Enum.Parse<ExportColumnStyle>(Value().Replace("-", "", StringComparison.Ordinal), ignoreCase: true); break;
            case "--server-run-ids": options.ServerRunIds = true; break;
            case "--server-times": options.ServerTimes = true; break;
            case "--end-session-on-finish": options.EndSessionOnFinish = true; break;
            case "--runs": options.Runs = Int(); break;
            case "--keys": options.KeysPerRun = Int(); break;
            case "--points": options.PointsPerKey = Int(); break;
            case "--huge-points": options.HugeSeriesPoints = Int(); break;
            case "--latency-ms": options.LatencyMs = Int(); break;
            case "--jitter-ms": options.JitterMs = Int(); break;
            case "--rate-limit": options.RateLimit = Real(); break;
            case "--fail-rate": options.FailRate = Real(); break;
            case "--reset-rate": options.ResetRate = Real(); break;
            case "--truncate-rate": options.TruncateRate = Real(); break;
            case "--slow-rate": options.SlowRate = Real(); break;
            case "--slow-ms": options.SlowDelay = TimeSpan.FromMilliseconds(Int()); break;
            case "--malformed-rate": options.MalformedRate = Real(); break;
            case "--malformed": options.Malformed = [.. options.Malformed, MalformedTarget.Parse(Value())]; break;
            case "--presign-expiry-s": options.PresignExpiry = TimeSpan.FromSeconds(Int()); break;
            case "-h" or "--help":
                Console.WriteLine("""
                    usage: SwanLab.Emulator [--port N] [--seed N] [--size tiny|demo|large|empty] [--api-key KEY21] [--self-hosted] [--legacy] [--server-run-ids] [--server-times] [--end-session-on-finish] [--export-columns as-requested|run-cuid|reversed|bare-sorted]
                                            [--no-logs-route] [--no-media-routes] [--no-summaries-route]
                                            [--log-paging shard|offset|after-epoch] [--log-levels exact|at-or-above|ignored] [--log-lines N]
                                            [--log-epochs per-run|per-level] [--resume-summary full|without-media|absent]
                                            [--runs N --keys N --points N] [--huge-points N]
                                            [--latency-ms N --jitter-ms N --rate-limit N --fail-rate p --reset-rate p
                                             --truncate-rate p --slow-rate p --slow-ms N --malformed-rate p]
                                            [--malformed MATCH=json|csv-header|csv-value|csv-row|garbage]... [--presign-expiry-s N]
                    """);
                return 0;
            default: throw new ArgumentException("unknown option " + args[i]);
        }
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}

using var stop = new CancellationTokenSource();
void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);

EmulatorServer server;
try
{
    server = await EmulatorServer.StartAsync(options);
}
catch (Exception e) when (e is IOException or ArgumentException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

await using var running = server;
Console.WriteLine("listening on " + server.BaseUrl.GetLeftPart(UriPartial.Authority));
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

return 0;
