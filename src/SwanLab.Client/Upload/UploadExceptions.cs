using System.Net;

namespace SwanLab.Client;

/// <summary>
/// HTTP 409 on a write: the run id belongs to a run in another project (experiment create), or a resource exists where
/// the call needed it not to. An importer can choose another id or skip the run.
/// </summary>
public sealed class SwanLabConflictException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabConflictException(string message, string? endpoint, string? serverCode = null, string? traceId = null)
        : base(message, endpoint, HttpStatusCode.Conflict, serverCode, traceId) { }
}

/// <summary>
/// The run was deleted: HTTP 404 with reason <c>Disabled Resource</c> (or body code <c>Disabled_Resource</c>). Its id
/// cannot be used again on that server.
/// </summary>
public sealed class SwanLabRunDeletedException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabRunDeletedException(string message, string? endpoint, string? serverCode = null, string? traceId = null)
        : base(message, endpoint, HttpStatusCode.NotFound, serverCode, traceId) { }
}

/// <summary>HTTP 400 on an experiment create for an existing id: the run is a clone, which cannot be resumed.</summary>
public sealed class SwanLabRunNotResumableException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabRunNotResumableException(string message, string? endpoint, string? serverCode = null, string? traceId = null)
        : base(message, endpoint, HttpStatusCode.BadRequest, serverCode, traceId) { }
}

/// <summary>
/// A metric upload failed in a way that leaves open whether the server stored it (5xx, connection broken after the body
/// was sent, timeout). Sending it again may duplicate points: read the run's resume summary first
/// (<see cref="Upload.SwanLabUploader.ResumeSummaryAsync"/>), or upload with <see cref="Upload.MetricRetry.Reconcile"/>.
/// </summary>
public sealed class SwanLabUploadUncertainException : SwanLabException
{
    /// <summary>Creates the error.</summary>
    public SwanLabUploadUncertainException(string message, string? endpoint, HttpStatusCode? statusCode, string kind, int items,
        int confirmedBefore, Exception? innerException = null)
        : base(message, endpoint, statusCode, null, null, innerException)
    {
        Kind = kind;
        Items = items;
        ConfirmedBefore = confirmedBefore;
    }

    /// <summary><c>scalar</c>, <c>media</c> or <c>log</c>.</summary>
    public string Kind { get; }

    /// <summary>Items in the request whose fate is unknown.</summary>
    public int Items { get; }

    /// <summary>Items of the same call the server had confirmed before this request (earlier batches).</summary>
    public int ConfirmedBefore { get; }
}
