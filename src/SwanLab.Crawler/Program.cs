using System.Runtime.InteropServices;
using SwanLab.Crawler.Cli;

// Ctrl+C / SIGTERM: the first one cancels the crawl so it stops cleanly (checkpoint intact, exit 130);
// a second one ends the process at once, which is also safe because every file write is atomic.
using var interrupt = new CancellationTokenSource();
var environment = CliEnvironment.FromProcess();
void OnSignal(PosixSignalContext context)
{
    if (interrupt.IsCancellationRequested)
        return;
    context.Cancel = true;
    environment.StopNotice.Announce(Console.Error);
    interrupt.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
// A node `export --nodes N` started stops as if interrupted when the process that started it is gone.
SwanLab.Crawler.Cli.LocalNodes.ParentWatch.StartIfChild(Environment.GetEnvironmentVariable, () =>
{
    if (interrupt.IsCancellationRequested)
        return;
    environment.StopNotice.Announce(Console.Error);
    interrupt.Cancel();
});

return await CrawlerCli.RunAsync(args, environment, new ProductionBackend(), interrupt.Token);
