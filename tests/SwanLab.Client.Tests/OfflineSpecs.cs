using System.Text;
using System.Text.Json;
using SwanLab.Client.Auth;
using SwanLab.Client.Metrics;

namespace SwanLab.Client.Tests;

/// <summary>Pure logic that needs no server: filters, paths, hosts, netrc, CSV parsing, tables.</summary>
public sealed class OfflineSpecs
{
    [Fact]
    public void Should_build_the_wire_filters_exactly_like_sdk_078()
    {
        var wire = RunFilters.ToWire(new Dictionary<string, object?>
        {
            ["state"] = "FINISHED",
            ["config.optimizer.lr"] = "0.01",
            ["summary.train/loss"] = 0.5,
            ["created_at"] = "2024-01-01",
            ["config.batch_size"] = 64,
        });
        var json = JsonSerializer.Serialize(new Dictionary<string, object?> { ["filters"] = wire },
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        Assert.Equal(
            """{"filters":[{"key":"state","active":true,"value":["FINISHED"],"op":"EQ","type":"STABLE"},""" +
            """{"key":"optimizer.lr","active":true,"value":["0.01"],"op":"EQ","type":"CONFIG"},""" +
            """{"key":"train/loss","active":true,"value":[0.5],"op":"EQ","type":"SCALAR"},""" +
            """{"key":"createdAt","active":true,"value":["2024-01-01"],"op":"EQ","type":"STABLE"},""" +
            """{"key":"batch_size","active":true,"value":[64],"op":"EQ","type":"CONFIG"}]}""",
            json);
    }

    [Fact]
    public void Should_send_an_empty_filter_list_when_there_are_no_filters()
    {
        Assert.Empty(RunFilters.ToWire(null));
        Assert.Empty(RunFilters.ToWire(new Dictionary<string, object?>()));
    }

    [Theory]
    [InlineData("finished_at", "finishedAt")]
    [InlineData("state", "state")]
    [InlineData("pinned_AT", "pinnedAt")]
    public void Should_camel_case_stable_keys_like_python_capitalize(string input, string expected) =>
        Assert.Equal(expected, RunFilters.ToCamelCase(input));

    [Theory]
    [InlineData("a/b", 3)]
    [InlineData("a//c", 3)]
    [InlineData("/a/b", 2)]
    [InlineData("a/b/", 2)]
    [InlineData("a/../c", 3)]
    [InlineData("a/./c", 3)]
    [InlineData("", 1)]
    [InlineData("a/b?x=1", 2)]
    [InlineData("a/b c ", 2)]
    [InlineData("a/b/c/d", 3)]
    public void Should_reject_malformed_paths_before_any_request(string path, int segments)
    {
        var ex = Assert.Throws<ArgumentException>(() => SwanLabPath.Split(path, segments, "path"));
        Assert.Contains("'", ex.Message);
    }

    [Fact]
    public void Should_accept_well_formed_paths() =>
        Assert.Equal(["alice", "demo", "run-1"], SwanLabPath.Split("alice/demo/run-1", 3, "path"));

    [Theory]
    [InlineData("https://x.com/api", "https://x.com")]
    [InlineData("x.com", "https://x.com")]
    [InlineData("  http://10.0.0.1:8000/some/path?q=1 ", "http://10.0.0.1:8000")]
    [InlineData("http://api.swanlab.cn", "https://api.swanlab.cn")]
    [InlineData("localhost:5092", "https://localhost:5092")]
    [InlineData("swanlab", "https://swanlab")]
    public void Should_normalise_hosts_like_sdk_09(string input, string expected) =>
        Assert.Equal(expected, SwanLabHosts.NormalizeToString(input));

    [Fact]
    public void Should_reject_an_empty_host() => Assert.Throws<ArgumentException>(() => SwanLabHosts.Normalize("  "));

    [Fact]
    public void Should_map_the_cloud_api_host_to_the_cloud_web_host()
    {
        Assert.Equal("https://swanlab.cn", SwanLabHosts.WebHostFor("https://api.swanlab.cn"));
        Assert.Equal("http://my.host:8000", SwanLabHosts.WebHostFor("http://my.host:8000/api"));
    }

    [Fact]
    public void Should_parse_the_netrc_that_swanlab_login_writes_including_legacy_api_suffix()
    {
        var entries = NetrcFile.Parse("machine https://api.swanlab.cn/api\n\tlogin https://swanlab.cn\n\tpassword 0123456789abcdefABCDE\n");
        var entry = Assert.Single(entries);
        Assert.Equal("https://api.swanlab.cn", entry.Machine);
        Assert.Equal("https://swanlab.cn", entry.Login);
        Assert.Equal("0123456789abcdefABCDE", entry.Password);
        Assert.DoesNotContain("0123456789abcdefABCDE", entry.ToString());
    }

    [Fact]
    public void Should_accept_scheme_less_netrc_values_on_one_line()
    {
        var entry = Assert.Single(NetrcFile.Parse("machine my.host:8000 login my.host:8000 password k1"));
        Assert.Equal("https://my.host:8000", entry.Machine);
    }

    private static List<MetricPoint> ParseCsv(string csv, int bufferChunk = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        Stream stream = bufferChunk > 0 ? new TrickleStream(bytes, bufferChunk) : new MemoryStream(bytes);
        var reader = new MetricCsvReader(stream, "GET /x.csv");
        var all = new List<MetricPoint>();
        var batch = new List<MetricPoint>();
        while (reader.ReadBatchAsync(batch, CancellationToken.None).AsTask().GetAwaiter().GetResult())
            all.AddRange(batch);
        return all;
    }

    [Fact]
    public void Should_parse_the_export_csv_with_non_finite_values_and_empty_cells()
    {
        var points = ParseCsv(
            "step,dragon-3-loss_step,dragon-3-loss_timestamp\r\n0,0.52,1722470401000\r\n1,NaN,1722470402000\r\n2,,\r\n" +
            "3,INF,\r\n4,-INF,1722470404000\r\n5,1e-3,1722470405000");
        Assert.Equal(5, points.Count);
        Assert.Equal(new MetricPoint(0, 0.52, 1722470401000), points[0]);
        Assert.True(double.IsNaN(points[1].Value));
        Assert.Equal(double.PositiveInfinity, points[2].Value);
        Assert.Null(points[2].TimestampMs);
        Assert.Equal(double.NegativeInfinity, points[3].Value);
        Assert.Equal(new MetricPoint(5, 0.001, 1722470405000), points[4]);
    }

    [Fact]
    public void Should_parse_lines_split_across_reads()
    {
        var builder = new StringBuilder("step,a_step,a_timestamp\n");
        for (var i = 0; i < 500; i++)
            builder.Append(i).Append(',').Append(i * 0.25).Append(',').Append(1000 + i).Append('\n');
        var points = ParseCsv(builder.ToString(), bufferChunk: 7);
        Assert.Equal(500, points.Count);
        Assert.Equal(new MetricPoint(499, 499 * 0.25, 1499), points[^1]);
    }

    [Fact]
    public void Should_fail_with_a_protocol_error_naming_the_line_for_a_bad_value()
    {
        var ex = Assert.Throws<SwanLabProtocolException>(() => ParseCsv("step,a_step,a_timestamp\n0,1.0,5\n1,oops,6\n"));
        Assert.Contains("line 3", ex.Message);
        Assert.Equal("GET /x.csv", ex.Endpoint);
    }

    [Fact]
    public void Should_fail_for_a_bad_step() =>
        Assert.Throws<SwanLabProtocolException>(() => ParseCsv("step,a_step\nabc,1\n"));

    [Fact]
    public void Should_outer_join_sort_and_sample_a_metric_table()
    {
        var table = MetricTable.Build(["loss", "acc"],
        [
            [new MetricPoint(2, 0.2, null), new MetricPoint(0, 0.5, null), new MetricPoint(1, double.NaN, null)],
            [new MetricPoint(1, 0.7, null), new MetricPoint(3, double.PositiveInfinity, null)],
        ]);
        Assert.Equal([0L, 1, 2, 3], table.Index);
        Assert.Equal("step,loss,acc\n0,0.5,\n1,NaN,0.7\n2,0.2,\n3,,inf\n", table.ToCsv());
        var head = MetricTable.Build(["loss"], [[new MetricPoint(5, 1, null), new MetricPoint(4, 2, null), new MetricPoint(6, 3, null)]], sample: 2);
        Assert.Equal([4L, 5], head.Index);
    }

    [Fact]
    public void Should_put_the_x_axis_first_and_drop_rows_without_it()
    {
        var table = MetricTable.Build(["loss", "t/acc"],
        [
            [new MetricPoint(0, 0.5, null), new MetricPoint(1, 0.4, null)],
            [new MetricPoint(1, 0.9, null)],
        ], xAxis: "t/acc");
        Assert.Equal(["t/acc", "loss"], table.ColumnNames);
        Assert.Equal([1L], table.Index);
        Assert.Equal(0.4, table["loss"][0]);
    }

    [Fact]
    public void Should_round_trip_every_value_through_the_csv_text()
    {
        double[] values = [0.1, 1.0 / 3, double.Epsilon, double.MaxValue, -0.0, 1e-300, double.NaN, double.NegativeInfinity];
        foreach (var value in values)
        {
            Assert.True(MetricNumbers.TryParse(MetricNumbers.Format(value).AsSpan(), out var back));
            Assert.Equal(value, back);
        }
    }

    [Fact]
    public void Should_flatten_grouped_runs_recursively()
    {
        var json = JsonSerializer.Deserialize<JsonElement>(
            """{"group_0": [{"cuid": "a"}, {"cuid": "b"}], "group_1": {"x": [{"cuid": "c"}], "y": {"z": [{"cuid": "d"}]}}}""");
        Assert.Equal(["a", "b", "c", "d"], SwanLabApi.FlattenRuns(json).Select(r => r.GetProperty("cuid").GetString()));
    }

    [Fact]
    public void Should_clean_config_wrappers_recursively()
    {
        var config = JsonSerializer.Deserialize<JsonElement>(
            """{"lr": {"value": 0.01, "desc": "", "sort": 0}, "model": {"value": {"layers": {"value": 4}, "act": "relu"}, "desc": "", "sort": 1}, "plain": {"a": [ {"value": 1} ]}}""");
        var cleaned = RunProfile.Clean(config);
        Assert.Equal("""{"lr":0.01,"model":{"layers":4,"act":"relu"},"plain":{"a":[1]}}""", cleaned.GetRawText());
    }

    [Fact]
    public void Should_never_print_the_api_key_in_options()
    {
        var options = new SwanLabApiOptions { ApiKey = "0123456789abcdefABCDE" };
        Assert.DoesNotContain("0123456789abcdefABCDE", options.ToString());
    }

    /// <summary>Returns at most N bytes per read, to split lines across buffers.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
