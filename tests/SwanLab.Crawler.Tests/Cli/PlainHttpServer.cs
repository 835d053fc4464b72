using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SwanLab.Crawler.Tests.Cli;

/// <summary>
/// Any HTTP server that is not SwanLab (a web site, a proxy's error page): answers every request with one status
/// and an HTML body, over plain HTTP. Counts connections, so a spec can tell a retried request from a single one.
/// </summary>
internal sealed class PlainHttpServer : IAsyncDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource stop = new();
    readonly Task accepting;
    readonly int status;
    int connections;

    public PlainHttpServer(int status = 404)
    {
        this.status = status;
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public string Authority => $"127.0.0.1:{Port}";
    public int Connections => Volatile.Read(ref connections);

    async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref connections);
                _ = AnswerAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                // One read is enough: the request (or a TLS ClientHello) is small; the answer ignores it.
                _ = await stream.ReadAsync(buffer, stop.Token);
                const string body = "<html><body><h1>Not Found</h1></body></html>";
                var response = $"HTTP/1.1 {status} Whatever\r\nContent-Type: text/html\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}
