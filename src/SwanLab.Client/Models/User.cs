using System.Text.Json;
using System.Text.RegularExpressions;
using SwanLab.Client.Http;

namespace SwanLab.Client;

/// <summary>
/// A user, as <c>api.user(username)</c> in the SDK. Creating it sends no request; each member below that needs the
/// server says so. Key management works only on the logged-in user (<see cref="IsSelf"/>), as in the SDK.
/// </summary>
public sealed partial class User
{
    private readonly SwanLabApi _api;

    internal User(SwanLabApi api, string username)
    {
        _api = api;
        Username = username;
    }

    /// <summary>The user's name (workspace id).</summary>
    public string Username { get; }

    /// <summary>True when this is the logged-in user.</summary>
    public bool IsSelf => string.Equals(Username, _api.Username, StringComparison.Ordinal);

    /// <summary>Usernames of the teams this user belongs to (<c>GET /user/{username}/groups</c>).</summary>
    public async Task<IReadOnlyList<string>> TeamsAsync(CancellationToken ct = default)
    {
        var json = await _api.Connection.GetJsonAsync(Endpoints.UserGroups(Username), ct, $"Teams of user '{Username}'").ConfigureAwait(false);
        return json.Items().Select(t => t.Str("username")).Where(u => u.Length > 0).ToList();
    }

    /// <summary>The logged-in user's API keys (<c>GET /user/key</c>).</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ApiKeysAsync(CancellationToken ct = default)
    {
        RequireSelf("list API keys");
        var json = await _api.Connection.GetJsonAsync(Endpoints.ApiKeys, ct, "API key list").ConfigureAwait(false);
        return json.Items().Select(k => new ApiKeyInfo(k.Long("id") ?? 0, k.Str("name"), k.Str("createdAt"), k.Str("key"))).ToList();
    }

    /// <summary>Creates an API key (<c>POST /user/key</c>, then <c>GET /user/key/latest</c>) and returns it; null if the server returned none.</summary>
    public async Task<string?> GenerateApiKeyAsync(string? description = null, CancellationToken ct = default)
    {
        RequireSelf("generate an API key");
        await _api.Connection.SendJsonAsync(HttpMethod.Post, Endpoints.ApiKeys,
            description is null ? null : new Dictionary<string, object?> { ["name"] = description }, ct, "Creating an API key").ConfigureAwait(false);
        var latest = await _api.Connection.GetJsonAsync(Endpoints.LatestApiKey, ct, "Latest API key").ConfigureAwait(false);
        return latest.StrOrNull("key");
    }

    /// <summary>Deletes the given API key; false when the user has no such key.</summary>
    public async Task<bool> DeleteApiKeyAsync(string apiKey, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        RequireSelf("delete an API key");
        var keys = await ApiKeysAsync(ct).ConfigureAwait(false);
        var match = keys.FirstOrDefault(k => string.Equals(k.Key, apiKey, StringComparison.Ordinal));
        if (match is null)
            return false;
        await _api.Connection.SendJsonAsync(HttpMethod.Delete, Endpoints.ApiKey(match.Id), null, ct, $"API key #{match.Id}").ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Creates a user on a self-hosted server (root only; <c>POST /self_hosted/users</c>). The username must be
    /// letters, digits, '-' or '_'; the password at least 8 characters with a letter and a digit.
    /// </summary>
    public async Task CreateAsync(string username, string password, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        if (!IsSelf)
            throw new InvalidOperationException($"'{Username}' is not the logged-in user and cannot create users.");
        if (!UsernamePattern().IsMatch(username))
            throw new ArgumentException("The username must contain only letters, digits, '-' and '_'.", nameof(username));
        if (!PasswordPattern().IsMatch(password))
            throw new ArgumentException("The password must have at least 8 characters and include letters and digits.", nameof(password));
        await _api.RequireSelfHostedRootAsync(ct).ConfigureAwait(false);
        var body = new Dictionary<string, object?>
        {
            ["users"] = new[] { new Dictionary<string, object?> { ["username"] = username, ["password"] = password } },
        };
        await _api.Connection.PostJsonAsync(Endpoints.SelfHostedUsersCreate, body, ct, $"Creating user '{username}'").ConfigureAwait(false);
    }

    private void RequireSelf(string action)
    {
        if (!IsSelf)
            throw new InvalidOperationException($"Cannot {action} of '{Username}': only the logged-in user's keys can be managed.");
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex UsernamePattern();

    [GeneratedRegex("^(?=.*[0-9])(?=.*[a-zA-Z]).{8,}$")]
    private static partial Regex PasswordPattern();

    /// <inheritdoc />
    public override string ToString() => $"User {Username}{(IsSelf ? " (self)" : "")}";
}

/// <summary>An API key of the logged-in user. <see cref="ToString"/> hides the key.</summary>
/// <param name="Id">Server id (used for deletion).</param>
/// <param name="Name">Description.</param>
/// <param name="CreatedAt">Creation time as sent.</param>
/// <param name="Key">The key itself.</param>
public sealed record ApiKeyInfo(long Id, string Name, string CreatedAt, string Key)
{
    /// <inheritdoc />
    public override string ToString() => $"ApiKeyInfo {{ Id = {Id}, Name = {Name}, CreatedAt = {CreatedAt}, Key = *** }}";
}

/// <summary>What <c>GET /self_hosted/info</c> reports.</summary>
/// <param name="Enabled">The instance is set up.</param>
/// <param name="Expired">The licence has expired (a missing field counts as expired, as in the SDK).</param>
/// <param name="Root">The logged-in user is the root user.</param>
/// <param name="Plan"><c>free</c> or <c>commercial</c>.</param>
/// <param name="Seats">Licensed seats, when sent.</param>
/// <param name="Json">The object as sent.</param>
public sealed record SelfHostedInfo(bool Enabled, bool Expired, bool Root, string Plan, long? Seats, JsonElement Json);
