using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SwanLab.Crawler.Tests.Cluster;

/// <summary>An actor system started the way the crawler starts its own (Akka.Hosting), for cross-node specs.</summary>
public sealed class HostedNode : IAsyncDisposable
{
    private readonly IHost _host;

    private HostedNode(IHost host, ActorSystem system, ActorRegistry registry)
    {
        _host = host;
        System = system;
        Registry = registry;
    }

    public ActorSystem System { get; }
    public ActorRegistry Registry { get; }

    /// <summary>This node's remoting address (e.g. akka.tcp://name@127.0.0.1:port).</summary>
    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    public static async Task<HostedNode> StartAsync(string systemName, Action<AkkaConfigurationBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka(systemName, akka =>
        {
            akka.AddHocon("""
                akka.loglevel = WARNING
                akka.stdout-loglevel = OFF
                akka.log-dead-letters = off
                akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
                akka.cluster.downing-provider-class = ""
                """, HoconAddMode.Prepend);
            configure(akka);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new HostedNode(host, host.Services.GetRequiredService<ActorSystem>(), host.Services.GetRequiredService<ActorRegistry>());
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }
}
