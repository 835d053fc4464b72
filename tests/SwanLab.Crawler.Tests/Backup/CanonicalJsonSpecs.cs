using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

public class CanonicalJsonSpecs
{
    [Fact]
    public void Should_give_the_same_bytes_for_shuffled_keys_at_every_depth()
    {
        var a = JsonDocument.Parse("""{"b":1,"a":{"y":[3,{"q":1,"p":2}],"x":null},"c":"s"}""").RootElement;
        var b = JsonDocument.Parse("""{"c":"s","a":{"x":null,"y":[3,{"p":2,"q":1}]},"b":1}""").RootElement;
        Assert.Equal(CanonicalJson.Serialize(a), CanonicalJson.Serialize(b));
        Assert.Equal(CanonicalJson.SerializeLine(a), CanonicalJson.SerializeLine(b));
    }

    [Fact]
    public void Should_write_sorted_indented_lf_text_with_a_trailing_newline()
    {
        var e = JsonDocument.Parse("""{"b":[1,2],"a":true,"B":"x"}""").RootElement;
        var text = Encoding.UTF8.GetString(CanonicalJson.Serialize(e));
        Assert.Equal("{\n  \"B\": \"x\",\n  \"a\": true,\n  \"b\": [\n    1,\n    2\n  ]\n}\n", text);
    }

    [Fact]
    public void Should_keep_numbers_exactly_as_sent()
    {
        var e = JsonDocument.Parse("""{"a":1.0,"b":1e400,"c":123456789012345678901234567890,"d":-0.0,"e":0.1}""").RootElement;
        Assert.Equal("""{"a":1.0,"b":1e400,"c":123456789012345678901234567890,"d":-0.0,"e":0.1}""",
            Encoding.UTF8.GetString(CanonicalJson.SerializeLine(e)));
    }

    [Fact]
    public void Should_escape_strings_by_one_fixed_policy()
    {
        var a = JsonDocument.Parse("""{"s":"\u00e9\u4e2d<>&'\"\\\n\u0001"}""").RootElement;
        var b = JsonDocument.Parse("{\"s\":\"é中<>&'\\\"\\\\\\n\\u0001\"}").RootElement;
        var line = Encoding.UTF8.GetString(CanonicalJson.SerializeLine(a));
        Assert.Equal("{\"s\":\"é中<>&'\\\"\\\\\\n\\u0001\"}", line);
        Assert.Equal(CanonicalJson.SerializeLine(a), CanonicalJson.SerializeLine(b));
    }

    [Fact]
    public void Should_canonicalise_json_nodes_like_elements()
    {
        var node = new JsonObject { ["z"] = 0.1, ["a"] = new JsonArray(1, "x") };
        Assert.Equal("""{"a":[1,"x"],"z":0.1}""", Encoding.UTF8.GetString(CanonicalJson.SerializeLine(node)));
    }
}

public class CanonicalJsonEdgeSpecs
{
    [Theory]
    [InlineData("{\"s\":\"\\ud800\"}", "{\"s\":\"\\uD800\"}")]
    [InlineData("[\"a\\udc00b\\n\"]", "[\"a\\uDC00b\\u000A\"]")]
    [InlineData("{\"s\":\"\\ud83d\\ude80 rocket\"}", "{\"s\":\"\\uD83D\\uDE80 rocket\"}")]
    [InlineData("{\"b\":1,\"\\ud83d\":2}", "{\"\\\\uD83D\":2,\"b\":1}")]
    public void Should_keep_strings_with_lone_surrogates_instead_of_failing_or_replacing_them(string json, string expected)
    {
        var element = JsonDocument.Parse(json).RootElement;
        var line = CanonicalJson.SerializeLine(element);
        Assert.Equal(expected, Encoding.UTF8.GetString(line));
        Assert.Equal(line, CanonicalJson.SerializeLine(JsonDocument.Parse(line).RootElement));
    }

    [Fact]
    public void Should_read_back_a_lone_surrogate_value_unchanged()
    {
        var line = CanonicalJson.SerializeLine(JsonDocument.Parse("[\"x\\ud800y\"]").RootElement);
        var reader = new Utf8JsonReader(line);
        reader.Read();
        reader.Read();
        Assert.Equal("\"x\\uD800y\"", Encoding.UTF8.GetString(line)[1..^1]);
        Assert.True(reader.ValueIsEscaped);
    }
}
