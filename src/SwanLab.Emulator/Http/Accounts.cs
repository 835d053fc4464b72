using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using SwanLab.Emulator.Data;

namespace SwanLab.Emulator.Http;

/// <summary>An API key as listed by <c>GET /user/key</c>.</summary>
internal sealed record ApiKeyRecord(int Id, string Name, DateTimeOffset CreatedAt, string Key);

/// <summary>API keys and login sessions (sid cookies).</summary>
internal sealed class Accounts
{
    private const string Alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private readonly ConcurrentDictionary<string, (EmulatorUser User, DateTimeOffset ExpiresAt)> _sessions = new(StringComparer.Ordinal);
    private readonly List<ApiKeyRecord> _keys = [];
    private readonly EmulatorUser _user;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;
    private int _nextKeyId = 1;

    public Accounts(EmulatorOptions options, EmulatorUser user)
    {
        _user = user;
        _clock = options.Clock;
        _lifetime = options.SessionLifetime;
        _keys.Add(new ApiKeyRecord(_nextKeyId++, "default", new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero), options.ApiKey));
    }

    public IReadOnlyList<ApiKeyRecord> Keys
    {
        get
        {
            lock (_keys)
            {
                return _keys.ToArray();
            }
        }
    }

    public ApiKeyRecord CreateKey(string name)
    {
        var key = RandomNumberGenerator.GetString(Alnum, 21);
        lock (_keys)
        {
            var record = new ApiKeyRecord(_nextKeyId++, name, _clock.GetUtcNow(), key);
            _keys.Add(record);
            return record;
        }
    }

    public bool DeleteKey(int id)
    {
        lock (_keys)
        {
            return _keys.RemoveAll(k => k.Id == id) > 0;
        }
    }

    /// <summary>A new session for a known key, else null. Repeated logins each get their own sid.</summary>
    public (string Sid, DateTimeOffset ExpiresAt)? Login(string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            return null;
        }

        bool known;
        lock (_keys)
        {
            known = _keys.Any(k => k.Key == apiKey);
        }

        if (!known)
        {
            return null;
        }

        var sid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        // Whole milliseconds so expiredAt round-trips exactly through the .fff format.
        var now = _clock.GetUtcNow();
        var expires = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero) + _lifetime;
        _sessions[sid] = (_user, expires);
        return (sid, expires);
    }

    /// <summary>Ends the session of this request's sid cookie (the real server does so when a run finishes, SDK issue #1715).</summary>
    public void EndSession(HttpContext ctx)
    {
        if (ctx.Request.Cookies["sid"] is { } sid)
        {
            _sessions.TryRemove(sid, out _);
        }
    }

    /// <summary>The user of a valid, unexpired sid cookie.</summary>
    public EmulatorUser? Authenticate(HttpContext ctx)
    {
        var sid = ctx.Request.Cookies["sid"];
        if (sid is null || !_sessions.TryGetValue(sid, out var session))
        {
            return null;
        }

        if (session.ExpiresAt <= _clock.GetUtcNow())
        {
            _sessions.TryRemove(sid, out _);
            return null;
        }

        return session.User;
    }
}
