using System.Globalization;
using System.Security.Cryptography;

namespace SwanLab.Client.Upload;

/// <summary>
/// Object paths for new media, as the SDKs build them. An importer that copies media keeps the source's paths instead
/// (what the read side returned), so a backup of the copy names every file as the original did.
/// </summary>
public static class MediaPaths
{
    /// <summary>0.9.7: <c>media/{medium}/{step:000}-{sha256[:8]}.{ext}</c>, e.g. <c>media/image/005-1a2b3c4d.png</c>.</summary>
    /// <param name="medium"><c>image</c>, <c>audio</c>, <c>video</c>, <c>text</c>, <c>echarts</c>, <c>object3d</c>, <c>molecule</c> or <c>html</c>.</param>
    /// <param name="step">Step.</param>
    /// <param name="content">File bytes (hashed for the name).</param>
    /// <param name="extension">Extension without the dot.</param>
    public static string Sdk097(string medium, long step, ReadOnlySpan<byte> content, string extension) =>
        $"media/{medium}/{step.ToString("000", CultureInfo.InvariantCulture)}-{Hash(content)[..8]}.{extension}";

    /// <summary>
    /// 0.7.8: <c>{key percent-encoded, no safe characters}/{kind}-step{N}-{sha256[:16]}.{ext}</c>, e.g.
    /// <c>train%2Fimg/image-step5-1a2b3c4d5e6f7a8b.png</c> (the SDK hashes a re-encoding, a server cannot check it).
    /// </summary>
    public static string Sdk078(string key, string kind, long step, ReadOnlySpan<byte> content, string extension) =>
        $"{Uri.EscapeDataString(key)}/{kind}-step{step.ToString(CultureInfo.InvariantCulture)}-{Hash(content)[..16]}.{extension}";

    private static string Hash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
