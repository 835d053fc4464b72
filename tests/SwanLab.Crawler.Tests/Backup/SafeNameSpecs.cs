using System.Text;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Tests.Backup;

public class SafeNameSpecs
{
    public static readonly string[] NastyNames =
    [
        "", ".", "..", "...", " ", "  ", ". ", " .", "/", "\\", "../..", "..\\..", "a/../../etc/passwd", "\0", "a\0b",
        "\t", "\n", "\r\n", "\u001f", "\u007f", "\u0085", ":", "*", "?", "\"", "<", ">", "|", "%", "%2F", "%%", "~",
        "~12345678", "a~~1234567890abcdef", "loss", "Loss", "LOSS", "lOsS", "train/loss", "train\\loss", "train%2Floss",
        "con", "CON", "con.txt", "nul", "Nul.csv", "com1", "lpt9.log", "conin$", "aux ", "prn.", ".hidden",
        ".swanlab-crawler", ".tmp-0123", "trailing.", "trailing ", " leading", "a b", "a.b.c", "损失", "训练/损失",
        "émoji 🚀", "🚀", "e\u0301", "\u00e9", "É", "ſ", "s", "S", "k", "\u212A", "\ud800", "a\udc00b", "x\ud83d", "İ", "ß",
        "__swanlab__.cpu.pct", "x-y_z+1.0", new string('a', 300), new string('é', 150), new string('.', 250),
        new string('/', 120), string.Concat(Enumerable.Repeat("🚀", 80)), new string('A', 199), new string('a', 200),
        new string('a', 201),
    ];

    public static IEnumerable<object[]> Names() => NastyNames.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Names))]
    public void Should_decode_what_it_encodes_unless_truncated(string name)
    {
        var encoded = SafeName.Encode(name);
        if (SafeName.IsTruncated(encoded))
        {
            Assert.False(SafeName.TryDecode(encoded, out _, out _));
            return;
        }
        Assert.Equal(name, SafeName.Decode(encoded));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Should_never_yield_a_separator_a_dot_name_or_an_unsafe_character(string name)
    {
        var encoded = SafeName.Encode(name);
        Assert.NotEqual("", encoded);
        Assert.NotEqual(".", encoded);
        Assert.NotEqual("..", encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.DoesNotContain('\\', encoded);
        Assert.False(encoded.StartsWith('.'), encoded);
        Assert.False(encoded.EndsWith('.') || encoded.EndsWith(' '), encoded);
        Assert.False(encoded.StartsWith(' '), encoded);
        Assert.True(encoded.IndexOfAny(":*?\"<>|".ToCharArray()) < 0, encoded);
        Assert.DoesNotContain(encoded, char.IsControl);
        Assert.True(Encoding.UTF8.GetByteCount(encoded) <= SafeName.MaxBytes, $"{Encoding.UTF8.GetByteCount(encoded)} bytes");
        // Well-formed UTF-16, so the name is valid UTF-8 on disk.
        Assert.True(IsWellFormed(encoded), encoded);
    }

    [Fact]
    public void Should_give_distinct_names_on_case_insensitive_file_systems()
    {
        var encoded = NastyNames.Distinct(StringComparer.Ordinal).Select(SafeName.Encode).ToList();
        var folded = encoded.Select(e => e.Normalize(NormalizationForm.FormC).ToUpperInvariant()).ToList();
        Assert.Equal(folded.Count, folded.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("con", "%63on")]
    [InlineData("con.txt", "%63on.txt")]
    [InlineData("..", "%2E%2E")]
    [InlineData("", "%")]
    [InlineData("train/loss", "train%2Floss")]
    [InlineData("a~b", "a%7Eb")]
    [InlineData("loss", "loss")]
    [InlineData("x-y_z+1.0", "x-y_z+1.0")]
    public void Should_encode_known_names_readably(string name, string expected) =>
        Assert.Equal(expected, SafeName.Encode(name));

    [Fact]
    public void Should_keep_unicode_readable_with_a_case_suffix()
    {
        var encoded = SafeName.Encode("训练/损失 🚀");
        Assert.StartsWith("训练%2F损失 🚀~", encoded);
        Assert.Matches("^Loss~[0-9a-f]{8}$", SafeName.Encode("Loss"));
    }

    [Fact]
    public void Should_cap_long_names_with_a_distinct_hash_suffix()
    {
        var a = SafeName.Encode(new string('a', 300) + "1");
        var b = SafeName.Encode(new string('a', 300) + "2");
        Assert.True(SafeName.IsTruncated(a));
        Assert.NotEqual(a, b);
        Assert.Matches("~~[0-9a-f]{16}$", a);
    }

    [Theory]
    [InlineData("con")]
    [InlineData("a/b")]
    [InlineData("%zz")]
    [InlineData("%2f")]
    [InlineData("Loss")]
    [InlineData("Loss~00000000")]
    [InlineData("a~b")]
    [InlineData("%C3")]
    [InlineData("")]
    [InlineData("%61")]
    public void Should_reject_strings_that_are_not_canonical_encodings(string encoded) =>
        Assert.False(SafeName.TryDecode(encoded, out _, out var error), error);

    [Fact]
    public void Should_round_trip_and_stay_safe_for_random_names_from_a_hostile_alphabet()
    {
        const string alphabet = "aZ09._- %~/\\:*?\"<>|\0\t\n\u007f\u00e9\u00c9\u4e2d\u0301\u212a\ud800\udc00";
        var random = new Random(12345);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var n = 0; n < 3000; n++)
        {
            var chars = new char[random.Next(0, 12)];
            for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
            var name = new string(chars);
            var encoded = SafeName.Encode(name);
            Assert.Equal(name, SafeName.Decode(encoded));
            Assert.True(encoded.IndexOfAny(['/', '\\', ':', '*', '?', '"', '<', '>', '|', '\0']) < 0, encoded);
            Assert.True(encoded is not ("." or ".." or "") && encoded[0] != '.' && encoded[^1] != '.' && encoded[^1] != ' ', encoded);
            Assert.True(IsWellFormed(encoded), encoded);
            var folded = encoded.Normalize(NormalizationForm.FormC).ToUpperInvariant();
            if (seen.TryGetValue(folded, out var other)) Assert.Equal(other, name);
            else seen[folded] = name;
        }
    }

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }
}
