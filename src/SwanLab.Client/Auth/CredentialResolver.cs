namespace SwanLab.Client.Auth;

/// <summary>Where the API key came from (for diagnostics; the key itself is never exposed).</summary>
public enum CredentialSource
{
    /// <summary><see cref="SwanLabApiOptions.ApiKey"/>.</summary>
    Explicit,
    /// <summary>The <c>SWANLAB_API_KEY</c> environment variable.</summary>
    EnvironmentVariable,
    /// <summary>A <c>.netrc</c> file written by <c>swanlab login</c>.</summary>
    Netrc,
}

/// <summary>The resolved server and key. <see cref="ToString"/> hides the key.</summary>
internal sealed record ResolvedCredentials(string ApiKey, string ApiHost, string WebHost, CredentialSource Source, string? NetrcPath)
{
    public override string ToString() => $"ResolvedCredentials {{ ApiHost = {ApiHost}, WebHost = {WebHost}, Source = {Source}, ApiKey = *** }}";
}

/// <summary>
/// Resolves key and hosts in the SDK's order. Key: explicit &gt; <c>SWANLAB_API_KEY</c> &gt; <c>.netrc</c>.
/// Host: explicit &gt; <c>SWANLAB_API_HOST</c> &gt; the <c>.netrc</c> machine &gt; the cloud.
/// The <c>.netrc</c> candidates, first existing wins: <c>./.swanlab/.netrc</c>, <c>$SWANLAB_ROOT/.netrc</c>,
/// <c>$SWANLAB_SAVE_DIR/.netrc</c>, <c>~/.swanlab/.netrc</c>. As in SDK 0.9.x, a netrc key is only used when no host
/// was configured or the configured host is the netrc machine (a key for one server is never sent to another).
/// </summary>
internal static class CredentialResolver
{
    public static ResolvedCredentials Resolve(SwanLabApiOptions options)
    {
        var env = options.Environment;
        var configuredHost = options.Host ?? env.Get("SWANLAB_API_HOST");
        var configuredWeb = options.WebHost ?? env.Get("SWANLAB_WEB_HOST");
        string? apiHost = configuredHost is null ? null : SwanLabHosts.NormalizeToString(configuredHost);

        string? key = null;
        var source = CredentialSource.Explicit;
        string? netrcPath = null;
        string? netrcWeb = null;

        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            key = options.ApiKey.Trim();
        }
        else if (env.Get("SWANLAB_API_KEY") is { } envKey)
        {
            key = envKey.Trim();
            source = CredentialSource.EnvironmentVariable;
        }
        else
        {
            foreach (var candidate in NetrcCandidates(env))
            {
                if (!File.Exists(candidate))
                    continue;
                var entries = NetrcFile.Parse(File.ReadAllText(candidate));
                var entry = apiHost is null
                    ? entries.FirstOrDefault()
                    : entries.FirstOrDefault(e => string.Equals(e.Machine, apiHost, StringComparison.OrdinalIgnoreCase));
                if (entry is null)
                    continue;
                key = entry.Password;
                source = CredentialSource.Netrc;
                netrcPath = candidate;
                apiHost ??= entry.Machine;
                netrcWeb = entry.Login;
                break;
            }
        }

        apiHost ??= SwanLabHosts.CloudApiHost;
        if (key is null)
            throw new SwanLabAuthenticationException(
                $"No SwanLab API key for {apiHost}: pass SwanLabApiOptions.ApiKey, set SWANLAB_API_KEY, or run `swanlab login` " +
                "(which writes ~/.swanlab/.netrc; SWANLAB_ROOT or SWANLAB_SAVE_DIR move that folder).")
            { NoApiKey = true };
        if (key.Length == 0 || key.Any(char.IsWhiteSpace))
            throw new SwanLabAuthenticationException("The SwanLab API key is empty or contains whitespace.");

        string webHost;
        if (configuredWeb is not null)
            webHost = SwanLabHosts.NormalizeToString(configuredWeb);
        else if (netrcWeb is not null && Uri.IsWellFormedUriString(netrcWeb, UriKind.Absolute))
            webHost = netrcWeb;
        else
            webHost = SwanLabHosts.WebHostFor(apiHost);
        return new ResolvedCredentials(key, apiHost, webHost, source, netrcPath);
    }

    public static IEnumerable<string> NetrcCandidates(SwanLabEnvironment env)
    {
        yield return Path.Combine(env.CurrentDirectory, ".swanlab", ".netrc");
        if (env.Get("SWANLAB_ROOT") is { } root)
            yield return Path.Combine(root, ".netrc");
        if (env.Get("SWANLAB_SAVE_DIR") is { } saveDir)
            yield return Path.Combine(saveDir, ".netrc");
        yield return Path.Combine(env.HomeDirectory, ".swanlab", ".netrc");
    }
}
