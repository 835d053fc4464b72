using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Turns any SwanLab name (workspace, project, run id, metric key, media file) into one file or folder name that is
/// safe on Linux, macOS and Windows, and back again.
/// </summary>
/// <remarks>
/// <para>The encoding, a contract of the backup format:</para>
/// <list type="number">
/// <item>Percent escaping of UTF-8 bytes, upper-case hex (<c>%2F</c>), for: <c>%</c> and <c>~</c> (the escape and
/// suffix markers), <c>/ \ : * ? " &lt; &gt; |</c>, every control character, and a leading or trailing dot or space
/// (Windows drops trailing ones; a leading dot would hide the file and could clash with the tool's private
/// <c>.swanlab-crawler</c> folder and <c>.swanlab-crawler-tmp-</c> files). So <c>.</c> is <c>%2E</c> and <c>..</c> is <c>%2E%2E</c>.
/// A lone UTF-16 surrogate, which UTF-8 cannot carry, becomes <c>%uD800</c>.</item>
/// <item>The empty name is <c>%</c> (no escape is a bare <c>%</c>, so it cannot mean anything else).</item>
/// <item>A Windows device name (CON, NUL, COM1, LPT1, ... also with an extension, any case) gets its first letter
/// escaped: <c>con</c> is <c>%63on</c>.</item>
/// <item>Names that a case-insensitive or Unicode-normalising file system could merge with another name get a
/// suffix <c>~</c> + the first 8 hex digits of SHA-256(UTF-8 name): every name containing an ASCII upper-case letter
/// or any non-ASCII character (<c>Loss</c> is <c>Loss~8fd8a44d</c>, and <c>loss</c> stays <c>loss</c>). Names
/// without the suffix are plain lower-case ASCII, which no file system folds together; names with it differ in the
/// suffix. Unicode and emoji otherwise stay as they are, readable.</item>
/// <item>An encoding longer than <see cref="MaxBytes"/> UTF-8 bytes is cut (never inside an escape or a character)
/// and ends in <c>~~</c> + 16 hex digits of the same hash. Such a name cannot be decoded from itself: the original
/// is kept beside it (metrics/index.json for series, the entity's own JSON file for folders).</item>
/// </list>
/// Callers append extensions (<c>.csv</c>) after encoding; the encoding itself never contains <c>/</c>, <c>\</c>,
/// and is never <c>.</c>, <c>..</c> or empty.
/// </remarks>
public static class SafeName
{
    /// <summary>Longest encoded name in UTF-8 bytes; leaves room for an extension within the usual 255-byte limit.</summary>
    public const int MaxBytes = 200;

    private const int CaseHashHexDigits = 8;
    private const int LongHashHexDigits = 16;
    private const string EmptyName = "%";

    private static readonly SearchValues<char> AlwaysEscaped = SearchValues.Create("%~/\\:*?\"<>|");

    private static readonly HashSet<string> WindowsDeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>Encodes <paramref name="name"/> as one safe file or folder name (see the type's remarks).</summary>
    public static string Encode(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) return EmptyName;

        var body = new StringBuilder(name.Length + 16);
        var needsDisambiguation = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                body.Append(c).Append(name[i + 1]);
                needsDisambiguation = true;
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                body.Append("%u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                needsDisambiguation = true;
                continue;
            }
            var edge = i == 0 || i == name.Length - 1;
            if (AlwaysEscaped.Contains(c) || char.IsControl(c) || (edge && (c == '.' || c == ' ')))
            {
                var n = Encoding.UTF8.GetBytes([c], utf8);
                for (var b = 0; b < n; b++) AppendEscape(body, utf8[b]);
                if (c > 0x7F) needsDisambiguation = true;
                continue;
            }
            if (c > 0x7F || c is >= 'A' and <= 'Z') needsDisambiguation = true;
            body.Append(c);
        }

        EscapeWindowsDeviceName(body);

        var hash = Hash(name);
        if (needsDisambiguation) body.Append('~').Append(hash, 0, CaseHashHexDigits);
        if (Encoding.UTF8.GetByteCount(body.ToString()) <= MaxBytes) return body.ToString();
        return Truncate(body.ToString(), hash);
    }

    /// <summary>True when <paramref name="encoded"/> was cut for length and must be decoded via its index.</summary>
    public static bool IsTruncated(string encoded)
    {
        var tilde = encoded.LastIndexOf('~');
        return tilde > 0 && encoded[tilde - 1] == '~' && encoded.Length - tilde - 1 == LongHashHexDigits;
    }

    /// <summary>Decodes a name produced by <see cref="Encode"/>.</summary>
    /// <exception cref="FormatException">Not a valid encoding, or a truncated one (see <see cref="IsTruncated"/>).</exception>
    public static string Decode(string encoded)
    {
        if (!TryDecode(encoded, out var name, out var error)) throw new FormatException($"'{encoded}' is not a SafeName encoding: {error}.");
        return name;
    }

    /// <summary>Decodes a name produced by <see cref="Encode"/>; false (with a reason) for anything else.</summary>
    public static bool TryDecode(string encoded, out string name, out string error)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        name = "";
        error = "";
        if (encoded == EmptyName) return true;
        if (encoded.Length == 0) { error = "empty"; return false; }
        if (IsTruncated(encoded)) { error = "the name was shortened; look it up in the index beside it"; return false; }

        var body = encoded;
        string? suffix = null;
        var tilde = encoded.LastIndexOf('~');
        if (tilde >= 0)
        {
            suffix = encoded[(tilde + 1)..];
            body = encoded[..tilde];
            if (suffix.Length != CaseHashHexDigits || !IsLowerHex(suffix)) { error = "malformed '~' suffix"; return false; }
        }

        var text = new StringBuilder(body.Length);
        var bytes = new List<byte>();
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '~') { error = "unescaped '~'"; return false; }
            if (c != '%') { FlushBytes(); text.Append(c); continue; }
            if (i + 5 < body.Length && body[i + 1] == 'u' && TryHex(body.AsSpan(i + 2, 4), out var unit))
            {
                FlushBytes();
                text.Append((char)unit);
                i += 5;
                continue;
            }
            if (i + 2 >= body.Length || !TryHex(body.AsSpan(i + 1, 2), out var value)) { error = $"bad escape at {i}"; return false; }
            bytes.Add((byte)value);
            i += 2;
        }
        if (!FlushBytes()) { error = "escaped bytes are not UTF-8"; return false; }

        var decoded = text.ToString();
        if (suffix is not null && Hash(decoded)[..CaseHashHexDigits] != suffix) { error = "suffix does not match the name"; return false; }
        if (Encode(decoded) != encoded) { error = "not the canonical encoding of its name"; return false; }
        name = decoded;
        return true;

        bool FlushBytes()
        {
            if (bytes.Count == 0) return true;
            try
            {
                text.Append(new UTF8Encoding(false, true).GetString(bytes.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                bytes.Clear();
                return false;
            }
            bytes.Clear();
            return true;
        }
    }

    private static void AppendEscape(StringBuilder sb, byte b) =>
        sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));

    private static void EscapeWindowsDeviceName(StringBuilder body)
    {
        var s = body.ToString();
        var dot = s.IndexOf('.');
        var stem = (dot < 0 ? s : s[..dot]).TrimEnd(' ');
        if (!WindowsDeviceNames.Contains(stem)) return;
        var first = body[0];
        body.Remove(0, 1);
        body.Insert(0, "%" + ((int)first).ToString("X2", CultureInfo.InvariantCulture));
    }

    private static string Truncate(string body, string hash)
    {
        var suffix = "~~" + hash[..LongHashHexDigits];
        var budget = MaxBytes - suffix.Length;
        var cut = 0;
        var bytes = 0;
        while (cut < body.Length)
        {
            // One unit = an escape (%XX or %uXXXX), a surrogate pair, or one char; never split any of them.
            var len = body[cut] == '%' ? (cut + 1 < body.Length && body[cut + 1] == 'u' ? 6 : 3)
                : char.IsHighSurrogate(body[cut]) ? 2 : 1;
            len = Math.Min(len, body.Length - cut);
            var unitBytes = Encoding.UTF8.GetByteCount(body.AsSpan(cut, len));
            if (bytes + unitBytes > budget) break;
            bytes += unitBytes;
            cut += len;
        }
        // No trailing-dot worry here: the hash suffix always follows the cut.
        var head = body[..cut];
        return head + suffix;
    }

    private static string Hash(string name)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), digest);
        return Convert.ToHexStringLower(digest);
    }

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s) if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }

    private static bool TryHex(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            int d = c switch { >= '0' and <= '9' => c - '0', >= 'A' and <= 'F' => c - 'A' + 10, _ => -1 };
            if (d < 0) return false;
            value = value * 16 + d;
        }
        return true;
    }
}
