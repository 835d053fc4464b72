namespace SwanLab.Client.Auth;

/// <summary>
/// Host normalisation as SDK 0.9.x does it: keep only <c>scheme://host[:port]</c>, default scheme https,
/// so <c>https://x.com/api</c> and <c>x.com</c> both mean <c>https://x.com</c>. The API base is always
/// <c>{host}/api</c>.
/// </summary>
public static class SwanLabHosts
{
    /// <summary>The official cloud API host.</summary>
    public const string CloudApiHost = "https://api.swanlab.cn";

    /// <summary>The official cloud web host.</summary>
    public const string CloudWebHost = "https://swanlab.cn";

    /// <summary>Normalises a host; throws <see cref="ArgumentException"/> for an empty or unparseable value.</summary>
    public static Uri Normalize(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var trimmed = host.Trim();
        if (trimmed.Length == 0)
            throw new ArgumentException("The SwanLab host is empty.", nameof(host));
        if (!trimmed.Contains("://", StringComparison.Ordinal))
            trimmed = "https://" + trimmed;
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
            throw new ArgumentException($"'{host.Trim()}' is not a valid SwanLab host (expected e.g. https://swanlab.example.com).", nameof(host));
        var scheme = uri.Scheme;
        // The official hosts are https-only; the SDK upgrades a plain-http spelling of them.
        if (scheme == Uri.UriSchemeHttp && (uri.Host == "api.swanlab.cn" || uri.Host == "swanlab.cn"))
            scheme = Uri.UriSchemeHttps;
        var builder = new UriBuilder(scheme, uri.Host, uri.IsDefaultPort ? -1 : uri.Port);
        return new Uri(builder.Uri.GetLeftPart(UriPartial.Authority), UriKind.Absolute);
    }

    /// <summary>Normalised host as text without a trailing slash, e.g. <c>https://x.com:8000</c>.</summary>
    public static string NormalizeToString(string host) => Normalize(host).GetLeftPart(UriPartial.Authority);

    /// <summary>The web host that belongs to an API host: the cloud API maps to the cloud web site, others to themselves.</summary>
    public static string WebHostFor(string apiHost)
    {
        var normalized = NormalizeToString(apiHost);
        return string.Equals(normalized, CloudApiHost, StringComparison.OrdinalIgnoreCase) ? CloudWebHost : normalized;
    }
}
