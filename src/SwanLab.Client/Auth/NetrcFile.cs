namespace SwanLab.Client.Auth;

/// <summary>One <c>machine</c> entry of the <c>.netrc</c> written by <c>swanlab login</c>.</summary>
/// <param name="Machine">The API host (normalised, without <c>/api</c>).</param>
/// <param name="Login">The web host.</param>
/// <param name="Password">The API key.</param>
internal sealed record NetrcEntry(string Machine, string? Login, string Password)
{
    public override string ToString() => $"NetrcEntry {{ Machine = {Machine}, Login = {Login}, Password = *** }}";
}

/// <summary>Reads the standard netrc token syntax (machine/login/password/default/macdef).</summary>
internal static class NetrcFile
{
    public static IReadOnlyList<NetrcEntry> Parse(string text)
    {
        var entries = new List<NetrcEntry>();
        var tokens = Tokenize(text);
        string? machine = null, login = null, password = null;

        void Flush()
        {
            if (machine is not null && password is not null)
                entries.Add(new NetrcEntry(NormalizeMachine(machine), login is null ? null : NormalizeLogin(login), password));
            machine = login = password = null;
        }

        for (var i = 0; i < tokens.Count; i++)
        {
            switch (tokens[i])
            {
                case "machine":
                    Flush();
                    machine = i + 1 < tokens.Count ? tokens[++i] : null;
                    break;
                case "default":
                    Flush();
                    break;
                case "login":
                    login = i + 1 < tokens.Count ? tokens[++i] : null;
                    break;
                case "password":
                    password = i + 1 < tokens.Count ? tokens[++i] : null;
                    break;
                case "account":
                    i++;
                    break;
                case "macdef":
                    // A macro runs to the next blank line; swanlab never writes one, so skipping to the end is safe.
                    Flush();
                    return entries;
            }
        }
        Flush();
        return entries;
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith('#'))
                continue;
            tokens.AddRange(trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }
        return tokens;
    }

    private static string NormalizeMachine(string machine)
    {
        var value = machine.Trim().TrimEnd('/');
        // Entries written by old SDKs end in /api; the host alone is what counts.
        if (value.EndsWith("/api", StringComparison.OrdinalIgnoreCase))
            value = value[..^4];
        try { return SwanLabHosts.NormalizeToString(value); }
        catch (ArgumentException) { return value; }
    }

    private static string NormalizeLogin(string login)
    {
        try { return SwanLabHosts.NormalizeToString(login); }
        catch (ArgumentException) { return login; }
    }
}
