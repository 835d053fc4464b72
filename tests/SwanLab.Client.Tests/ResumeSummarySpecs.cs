using SwanLab.Emulator;

namespace SwanLab.Client.Tests;

/// <summary>
/// The resume summary (<c>GET /house/metrics/summaries/{p}/{e}</c>) cuts reads short only once a run read in full proved
/// the member relied on, and never where the server's answers refute it: every line and item is still read once.
/// </summary>
public sealed class ResumeSummarySpecs
{
    private const string Logs = "GET /api/house/metrics/log";
    // Only media keys are listed here (the scalar keys are given), so this route counts media listings.
    private const string MediaKeys = "POST /api/house/metrics/{type}/keys";
    private const string Values = "POST /api/house/metrics/scalar/value";
    private const string Summary = "GET /api/house/metrics/summaries/{projectId}/{experimentId}";
    private static readonly string[] Keys = ["train/loss", "val/acc", "train/grad norm", "lr"];

    /// <summary>Project bench-000: three FINISHED runs of 4 keys, no media, console lines INFO with every 7th WARN.</summary>
    private static EmulatorOptions Bench(int lines = 20) =>
        new() { Size = DatasetSize.Large, Runs = 3, KeysPerRun = 4, PointsPerKey = 20, LogLinesPerRun = lines };

    private static async Task<Run> RunAsync(SwanLabApi api, EmulatorServer server, int index) =>
        await api.RunAsync($"alice/bench-000/{server.Dataset.FindProject("alice", "bench-000")!.Runs[index].Cuid}");

    /// <summary>What a crawl reads of a run: last steps of its keys, every log line, every media item.</summary>
    private static async Task<(IReadOnlyList<LogEntry> Lines, int Media)> ReadAllAsync(Run run)
    {
        await run.ExpectedLastStepsAsync(Keys);
        var lines = await run.AllLogsAsync();
        var media = 0;
        await foreach (var _ in run.MediaAsync())
            media++;
        return (lines, media);
    }

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
    public async Task Should_read_every_line_of_a_second_run_exactly_once_with_no_more_requests_once_the_first_proved_the_summary(
        LogPagingReading paging, LogLevelReading levels)
    {
        var options = Bench(2500);
        options.LogPaging = paging;
        options.LogLevels = levels;
        await using var server = await EmulatorServer.StartAsync(options);
        await using var api = await EmulatorFixture.Connect(server);
        await ReadAllAsync(await RunAsync(api, server, 0));
        var firstRun = server.Stats.Requests(Logs);
        Assert.True(api.ResumeSummaryTrust.LogProven && api.ResumeSummaryTrust.EpochsPerRunProven);

        var (lines, _) = await ReadAllAsync(await RunAsync(api, server, 1));

        var truth = server.Dataset.FindProject("alice", "bench-000")!.Runs[1].LogLines.All().ToList();
        Assert.Equal(truth.Select(l => (l.Epoch, l.Level, l.Message)), lines.Select(l => (l.Epoch, l.Level, l.Message)));
        var secondRun = server.Stats.Requests(Logs) - firstRun;
        // Exact levels: INFO (3 pages) and WARN only, not ERROR and DEBUG; otherwise the one answer that holds everything.
        if (levels == LogLevelReading.Exact)
            Assert.InRange(secondRun, 1, firstRun - 2);
        else
            Assert.InRange(secondRun, 1, firstRun);
    }

    [Theory]
    [InlineData(LogLevelReading.Exact)]
    [InlineData(LogLevelReading.AtOrAbove)]
    public async Task Should_read_every_level_of_every_run_when_the_server_numbers_lines_per_level(LogLevelReading levels)
    {
        var options = Bench();
        options.LogLevels = levels;
        options.LogEpochs = LogEpochReading.PerLevel;
        await using var server = await EmulatorServer.StartAsync(options);
        await using var api = await EmulatorFixture.Connect(server);
        await ReadAllAsync(await RunAsync(api, server, 0));
        var firstRun = server.Stats.Requests(Logs);

        var (lines, _) = await ReadAllAsync(await RunAsync(api, server, 1));

        Assert.False(api.ResumeSummaryTrust.EpochsPerRunProven);
        var truth = server.Dataset.FindProject("alice", "bench-000")!.Runs[1].LogLines.All().ToList();
        Assert.Equal(truth.Select(l => (l.Level, l.Message)).Order(), lines.Select(l => (l.Level, l.Message)).Order());
        Assert.Equal(firstRun, server.Stats.Requests(Logs) - firstRun);
    }

    [Fact]
    public async Task Should_take_last_steps_from_the_summary_once_the_server_proved_its_scalar_steps()
    {
        await using var server = await EmulatorServer.StartAsync(Bench());
        await using var api = await EmulatorFixture.Connect(server);
        await ReadAllAsync(await RunAsync(api, server, 0));
        var values = server.Stats.Requests(Values);
        var second = await RunAsync(api, server, 1);

        var expected = await second.ExpectedLastStepsAsync(Keys);

        Assert.Equal(values, server.Stats.Requests(Values));
        Assert.Equal(await second.LastStepsAsync(Keys), expected);
    }

    [Theory]
    [InlineData(ResumeSummaryReading.Full, 0)]
    [InlineData(ResumeSummaryReading.WithoutMedia, 1)]
    [InlineData(ResumeSummaryReading.Absent, 1)]
    public async Task Should_list_media_unless_a_proven_summary_lists_none(ResumeSummaryReading summary, int listings)
    {
        var options = Bench();
        options.ResumeSummary = summary;
        await using var server = await EmulatorServer.StartAsync(options);
        await using var api = await EmulatorFixture.Connect(server);
        await ReadAllAsync(await RunAsync(api, server, 0));
        var before = server.Stats.Requests(MediaKeys);

        var (_, media) = await ReadAllAsync(await RunAsync(api, server, 1));

        Assert.Equal(0, media);
        Assert.Equal(listings, server.Stats.Requests(MediaKeys) - before);
    }

    [Fact]
    public async Task Should_read_everything_in_full_and_ask_no_second_summary_when_the_server_has_none()
    {
        var options = Bench();
        options.ResumeSummary = ResumeSummaryReading.Absent;
        await using var server = await EmulatorServer.StartAsync(options);
        await using var api = await EmulatorFixture.Connect(server);
        await ReadAllAsync(await RunAsync(api, server, 0));
        var (logs, values) = (server.Stats.Requests(Logs), server.Stats.Requests(Values));

        var (lines, _) = await ReadAllAsync(await RunAsync(api, server, 1));

        Assert.Equal(20, lines.Count);
        Assert.Equal(1, server.Stats.Requests(Summary));
        Assert.Equal((logs, values), (server.Stats.Requests(Logs) - logs, server.Stats.Requests(Values) - values));
    }
}
