using System.Net;

namespace SwanLab.Client;

/// <summary>
/// Base class of every error SwanLab.Client raises on purpose. Callers can catch this one type, or a derived one
/// to react to a specific condition without matching message text. Messages never contain the API key.
/// </summary>
public class SwanLabException : Exception
{
    /// <summary>Creates an error with a message.</summary>
    public SwanLabException(string message) : base(message) { }

    /// <summary>Creates an error with a message and the exception that caused it.</summary>
    public SwanLabException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>
    /// Creates an error describing a failed HTTP exchange.
    /// </summary>
    public SwanLabException(string message, string? endpoint, HttpStatusCode? statusCode, string? serverCode = null,
        string? traceId = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Endpoint = endpoint;
        StatusCode = statusCode;
        ServerCode = serverCode;
        TraceId = traceId;
    }

    /// <summary>The request that failed, as <c>METHOD /path</c> (query strings of presigned URLs are removed).</summary>
    public string? Endpoint { get; }

    /// <summary>The final HTTP status, when the server answered.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The <c>code</c> field of the server's JSON error body, when it sent one.</summary>
    public string? ServerCode { get; }

    /// <summary>The server's <c>traceid</c> response header, useful when reporting a problem to the server's operators.</summary>
    public string? TraceId { get; }
}

/// <summary>The API key is missing, malformed or was rejected (HTTP 401 on login, or a session that cannot be renewed).</summary>
public sealed class SwanLabAuthenticationException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabAuthenticationException(string message, string? endpoint = null, HttpStatusCode? statusCode = null,
        string? serverCode = null, string? traceId = null, Exception? innerException = null)
        : base(message, endpoint, statusCode, serverCode, traceId, innerException) { }

    /// <summary>True when no key was found at all (none given, no <c>SWANLAB_API_KEY</c>, no <c>.netrc</c> entry).</summary>
    public bool NoApiKey { get; init; }
}

/// <summary>The workspace, project, run or key does not exist (HTTP 404).</summary>
public sealed class SwanLabNotFoundException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabNotFoundException(string message, string? endpoint = null, HttpStatusCode? statusCode = HttpStatusCode.NotFound,
        string? serverCode = null, string? traceId = null, Exception? innerException = null)
        : base(message, endpoint, statusCode, serverCode, traceId, innerException) { }
}

/// <summary>The logged-in user may not read or change this resource (HTTP 403), or lacks a role the call needs.</summary>
public sealed class SwanLabForbiddenException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabForbiddenException(string message, string? endpoint = null, HttpStatusCode? statusCode = HttpStatusCode.Forbidden,
        string? serverCode = null, string? traceId = null, Exception? innerException = null)
        : base(message, endpoint, statusCode, serverCode, traceId, innerException) { }
}

/// <summary>The server kept answering HTTP 429 after every retry. <see cref="RetryAfter"/> says when to try again.</summary>
public sealed class SwanLabRateLimitedException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabRateLimitedException(string message, TimeSpan? retryAfter, string? endpoint = null,
        string? serverCode = null, string? traceId = null)
        : base(message, endpoint, HttpStatusCode.TooManyRequests, serverCode, traceId)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>How long the server asked the client to wait (from <c>Retry-After</c>); null when it did not say.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>The server failed (HTTP 5xx) on every attempt.</summary>
public sealed class SwanLabServerException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabServerException(string message, string? endpoint, HttpStatusCode? statusCode,
        string? serverCode = null, string? traceId = null, Exception? innerException = null)
        : base(message, endpoint, statusCode, serverCode, traceId, innerException) { }
}

/// <summary>
/// The server answered, but not in the shape the SwanLab protocol defines: invalid JSON, a missing field,
/// or a malformed metric CSV. <see cref="SwanLabException.Endpoint"/> names the request.
/// </summary>
public sealed class SwanLabProtocolException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabProtocolException(string message, string? endpoint, Exception? innerException = null)
        : base(message, endpoint, null, null, null, innerException) { }
}

/// <summary>
/// The server could not be reached or the connection broke (refused, reset, timed out, body cut short)
/// on every attempt.
/// </summary>
public sealed class SwanLabConnectionException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabConnectionException(string message, string? endpoint, Exception? innerException = null)
        : base(message, endpoint, null, null, null, innerException) { }
}

/// <summary>
/// The server does not offer this feature: e.g. a 0.7.8-era server has no value statistics or media listing,
/// or a user listing was asked of a server that is not a self-hosted instance.
/// </summary>
public class SwanLabNotSupportedException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabNotSupportedException(string message, string? endpoint = null) : base(message, endpoint, null) { }
}

/// <summary>
/// The server has no route for an optional read (logs, media, summaries): it answered 404 for the route itself, not for
/// the run. Raised once per request; <see cref="SwanLabApi.Capabilities"/> remembers it so later reads fail at once.
/// </summary>
public sealed class SwanLabCapabilityUnavailableException : SwanLabNotSupportedException
{
    /// <summary>Creates the error.</summary>
    public SwanLabCapabilityUnavailableException(UnavailableCapability unavailable)
        : base($"The server does not offer {(unavailable ?? throw new ArgumentNullException(nameof(unavailable))).Name} ({unavailable.Answer}).")
    {
        Unavailable = unavailable;
    }

    /// <summary>Which read, and what the server answered.</summary>
    public UnavailableCapability Unavailable { get; }
}

/// <summary>
/// The console log could not be read completely: what the server reports (<c>count</c>) and what its pages held
/// cannot be reconciled. Never ignored: a partial log is not kept.
/// </summary>
public sealed class SwanLabLogsIncompleteException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabLogsIncompleteException(string message, string? endpoint) : base(message, endpoint, null) { }
}
