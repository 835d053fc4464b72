using System.Globalization;
using System.Net;
using System.Text;
using SwanLab.Emulator;

namespace SwanLab.Client.Tests;

/// <summary>
/// Every log line exactly once whatever the server's reading of <c>epoch</c> (shard index as the SDK documents, offset,
/// after-epoch) and of <c>level</c> (exact, at-or-above, ignored), checked against the server's <c>count</c>.
/// </summary>
public sealed class LogPagingSpecs
{
    public static TheoryData<LogPagingReading, LogLevelReading> Readings()
    {
        var data = new TheoryData<LogPagingReading, LogLevelReading>();
        foreach (var paging in Enum.GetValues<LogPagingReading>())
            foreach (var levels in Enum.GetValues<LogLevelReading>())
                data.Add(paging, levels);
        return data;
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task Should_read_every_line_of_a_2500_line_log_exactly_once_in_epoch_order(LogPagingReading paging, LogLevelReading levels)
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            Seed = 7, Size = DatasetSize.Tiny, LogLinesPerRun = 2500, LogPaging = paging, LogLevels = levels,
        });
        await using var api = await EmulatorFixture.Connect(server);
        var truthRun = server.Dataset.FindProject("alice", "mnist-baseline")!.Runs[0];
        var run = await api.RunAsync($"alice/mnist-baseline/{truthRun.Cuid}");
        var before = server.Stats.Requests("GET /api/house/metrics/log");

        var read = await run.AllLogsAsync();

        var truth = truthRun.LogLines.All().ToList();
        Assert.Equal(2500, truth.Count);
        Assert.Equal(truth.Select(l => (l.Epoch, l.Level, l.Message)), read.Select(l => (l.Epoch, l.Level, l.Message)));
        var requests = server.Stats.Requests("GET /api/house/metrics/log") - before;
        // Exact: four levels, INFO in three or four pages; otherwise the DEBUG answer is everything and nothing else is asked.
        Assert.InRange(requests, 1, levels == LogLevelReading.Exact ? 8 : 4);
    }

    [Fact]
    public async Task Should_page_as_the_sdk_documents_by_shard_index()
    {
        var stub = LogServer((epoch, level) => level == "INFO" ? Page(Lines(2500).Skip((int)epoch * 1000).Take(1000), 2500) : Page([], 0));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var read = await run.AllLogsAsync();

        Assert.Equal(Enumerable.Range(1, 2500).Select(i => (long)i), read.Select(l => l.Epoch));
        Assert.Equal(["epoch=0", "epoch=1", "epoch=2"], EpochsAsked(stub));
    }

    [Fact]
    public async Task Should_fail_loudly_when_the_pages_cannot_reach_the_count()
    {
        // A server that ignores epoch: every request answers the first 1000 of 2500 lines.
        var stub = LogServer((_, level) => level == "INFO" ? Page(Lines(2500).Take(1000), 2500) : Page([], 0));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var ex = await Assert.ThrowsAsync<SwanLabLogsIncompleteException>(() => run.AllLogsAsync());

        Assert.Contains("reports 2500 line(s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("held 1000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_accept_a_count_of_the_whole_run_reported_by_every_level()
    {
        // Exact levels, but count = every line of the run (the same for each level).
        var all = Lines(30, i => i % 3 == 0 ? "WARN" : "INFO");
        var stub = LogServer((_, level) => Page(all.Where(l => l.Level == level), all.Count));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var read = await run.AllLogsAsync();

        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), read.Select(l => l.Epoch));
    }

    [Fact]
    public async Task Should_accept_a_count_that_is_the_page_length()
    {
        var stub = LogServer((epoch, level) =>
        {
            var page = level == "INFO" ? Lines(1500).Skip((int)epoch * 1000).Take(1000).ToList() : [];
            return Page(page, page.Count);
        });
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var read = await run.AllLogsAsync();

        Assert.Equal(1500, read.Count);
    }

    [Fact]
    public async Task Should_keep_paging_when_the_server_pages_smaller_than_asked_and_the_count_says_more()
    {
        var stub = LogServer((epoch, level) => level == "INFO" ? Page(Lines(1200).Skip((int)epoch * 500).Take(500), 1200) : Page([], 0));
        await using var api = await SwanLabApi.ConnectAsync(StubHandler.Options(stub));
        var run = await api.RunAsync("alice/demo/r1");

        var read = await run.AllLogsAsync();

        Assert.Equal(Enumerable.Range(1, 1200).Select(i => (long)i), read.Select(l => l.Epoch));
    }

    private sealed record Line(long Epoch, string Level);

    private static List<Line> Lines(int count, Func<int, string>? level = null) =>
        Enumerable.Range(1, count).Select(i => new Line(i, level?.Invoke(i) ?? "INFO")).ToList();

    private static HttpResponseMessage Page(IEnumerable<Line> lines, long count)
    {
        var json = new StringBuilder("{\"logs\":[");
        json.AppendJoin(',', lines.Select(l => string.Create(CultureInfo.InvariantCulture,
            $"{{\"epoch\":{l.Epoch},\"level\":\"{l.Level}\",\"message\":\"line {l.Epoch}\",\"tag\":\"\",\"timestamp\":\"2024-08-01T00:00:00.000Z\"}}")));
        json.Append("],\"count\":").Append(count.ToString(CultureInfo.InvariantCulture)).Append('}');
        return StubHandler.Json(json.ToString());
    }

    /// <summary>A House server whose log route answers <paramref name="answer"/>(epoch, level).</summary>
    private static StubHandler LogServer(Func<long, string, HttpResponseMessage> answer) => new StubHandler()
        .On("GET /api/project/alice/demo/runs/r1", (_, _) => StubHandler.Json(
            """{"cuid":"r1","name":"t","createdAt":"2024-08-01T00:00:00.000Z","state":"FINISHED","project_id":"p1"}"""))
        .On("GET /api/house/metrics/log", (request, _) =>
        {
            var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri!.Query);
            return answer(long.Parse(query["epoch"]!, CultureInfo.InvariantCulture), query["level"]!);
        });

    private static List<string> EpochsAsked(StubHandler stub) =>
        stub.Urls.Where(u => u.Contains("/house/metrics/log", StringComparison.Ordinal) && u.Contains("level=INFO", StringComparison.Ordinal))
            .Select(u => "epoch=" + System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + u).Query)["epoch"]).ToList();
}
