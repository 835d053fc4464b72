using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SwanLab.Emulator.Data;

namespace SwanLab.Emulator.Http;

/// <summary>One column of a scalar CSV export: header prefix <c>{experimentName}-{key}</c> and its series (null = empty column).</summary>
internal sealed record CsvColumn(string Prefix, ScalarSeries? Series);

internal abstract record StoredObject;

internal sealed record ScalarCsvObject(IReadOnlyList<CsvColumn> Columns) : StoredObject;

internal sealed record LogFileObject(LogStream Logs, int Start, int Rows) : StoredObject;

internal sealed record BytesObject(byte[] Data, string ContentType) : StoredObject;

/// <summary>
/// The emulator's object store (the real service uses COS/S3/MinIO): objects addressed by key, reachable only
/// through presigned URLs that carry an HMAC signature and expire after <see cref="EmulatorOptions.PresignExpiry"/>.
/// Exports are described, not rendered: a CSV is streamed from the series when downloaded.
/// </summary>
internal sealed class ObjectStore
{
    public const string Bucket = "swanlab-private";
    private readonly ConcurrentDictionary<string, StoredObject> _objects = new(StringComparer.Ordinal);
    private readonly byte[] _secret;
    private readonly EmulatorOptions _options;
    private readonly EmulatorDataset _dataset;

    public ObjectStore(EmulatorOptions options, EmulatorDataset dataset)
    {
        _options = options;
        _dataset = dataset;
        _secret = SHA256.HashData(Encoding.UTF8.GetBytes("emulator-secret-" + options.Seed.ToString(CultureInfo.InvariantCulture)));
    }

    public Uri? BaseUrl { get; set; }

    public void Put(string key, StoredObject value) => _objects[key] = value;

    /// <summary>A key derived from the content description, so repeated identical exports reuse one object.</summary>
    public string PutExport(string folder, string extension, string identity, StoredObject value)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..24];
        var key = $"exports/{folder}/{hash}.{extension}";
        _objects[key] = value;
        return key;
    }

    public StoredObject? Get(string key)
    {
        if (_objects.TryGetValue(key, out var found))
        {
            return found;
        }

        return ResolveGeneratedMedia(key);
    }

    /// <summary>
    /// Generated media live at <c>{projectCuid}/{runCuid}/{path}</c> (the prefix 0.9.7 sends to /resources/presigned/get).
    /// </summary>
    private BytesObject? ResolveGeneratedMedia(string key)
    {
        var parts = key.Split('/', 3);
        if (parts.Length < 3 || _dataset.FindRun(parts[1]) is not { } run)
        {
            return null;
        }

        var owner = _dataset.DataOwner(run);
        foreach (var media in owner.Media)
        {
            foreach (var step in media.Steps)
            {
                foreach (var item in step.Items)
                {
                    if (item.Path == parts[2])
                    {
                        return MediaBytes.For(item.Path);
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Cloud mode: absolute URL; self-hosted mode: path only, exactly as real self-hosted servers answer.</summary>
    public string Presign(string key, string method)
    {
        var now = _options.Clock.GetUtcNow().UtcDateTime;
        var date = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var expires = ((long)_options.PresignExpiry.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var path = "/" + Bucket + "/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        var credential = Uri.EscapeDataString($"EMULATORKEY/{now.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}/us-east-1/s3/aws4_request");
        var signature = Sign(method, key, date, expires);
        var query = $"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}";
        if (_options.SelfHosted || BaseUrl is null)
        {
            return path + query;
        }

        return BaseUrl.GetLeftPart(UriPartial.Authority) + path + query;
    }

    private string Sign(string method, string key, string date, string expires)
    {
        var data = Encoding.UTF8.GetBytes($"{method}\n{key}\n{date}\n{expires}");
        return Convert.ToHexStringLower(HMACSHA256.HashData(_secret, data));
    }

    /// <summary>Object key from the raw request target (segments unescaped one by one, so %2F stays inside a segment).</summary>
    public static string? KeyFromTarget(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "";
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            raw = raw[..q];
        }

        var prefix = "/" + Bucket + "/";
        if (!raw.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        return string.Join('/', raw[prefix.Length..].Split('/').Select(Uri.UnescapeDataString));
    }

    /// <summary>Checks signature and expiry; on failure writes an S3-style 403 and returns false.</summary>
    public async Task<bool> Verify(HttpContext ctx, string key)
    {
        var q = ctx.Request.Query;
        var date = q["X-Amz-Date"].ToString();
        var expires = q["X-Amz-Expires"].ToString();
        var signature = q["X-Amz-Signature"].ToString();
        var expected = Sign(ctx.Request.Method, key, date, expires);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(expected)))
        {
            await S3Error(ctx, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
            return false;
        }

        var signedAt = DateTime.ParseExact(date, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var lifetime = long.Parse(expires, CultureInfo.InvariantCulture);
        if (_options.Clock.GetUtcNow().UtcDateTime > signedAt.AddSeconds(lifetime))
        {
            await S3Error(ctx, 403, "AccessDenied", "Request has expired");
            return false;
        }

        return true;
    }

    public static Task S3Error(HttpContext ctx, int status, string code, string message)
    {
        ctx.Response.StatusCode = status;
        Json.SetReason(ctx, status == 404 ? "Not Found" : "Forbidden");
        ctx.Response.ContentType = "application/xml";
        var body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>";
        return ctx.Response.WriteAsync(body);
    }
}

/// <summary>Deterministic file bytes for generated media (a tiny valid PNG per image, text for .txt).</summary>
internal static class MediaBytes
{
    public static BytesObject For(string path)
    {
        if (path.EndsWith(".txt", StringComparison.Ordinal))
        {
            return new BytesObject(Encoding.UTF8.GetBytes("generated text for " + path + " — 文本 ✍️\n"), "text/plain; charset=utf-8");
        }

        var hash = Rng.HashString(path);
        return new BytesObject(Png(8, 8, (byte)hash, (byte)(hash >> 8), (byte)(hash >> 16)), "image/png");
    }

    private static byte[] Png(int width, int height, byte r, byte g, byte b)
    {
        var raw = new byte[height * (1 + (width * 3))];
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + (width * 3));
            for (var x = 0; x < width; x++)
            {
                raw[row + 1 + (x * 3)] = (byte)(r + (x * 16));
                raw[row + 2 + (x * 3)] = (byte)(g + (y * 16));
                raw[row + 3 + (x * 3)] = b;
            }
        }

        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(raw);
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typeAndData);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typeAndData));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
