using System.Runtime.InteropServices;
using SwanLab.Crawler.Cli;

// Ctrl+C / SIGTERM: the first one cancels the crawl so it stops cleanly (checkpoint intact, exit 130);
// a second one ends the process at once, which is also safe because every file write is atomic.
using var interrupt = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (interrupt.IsCancellationRequested)
        return;
    context.Cancel = true;
    Console.Error.WriteLine("Stopping... (press Ctrl+C again to quit immediately)");
    interrupt.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

return await CrawlerCli.RunAsync(args, CliEnvironment.FromProcess(), new ProductionBackend(), interrupt.Token);
