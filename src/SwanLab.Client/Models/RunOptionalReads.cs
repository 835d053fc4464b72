using System.Net;
using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client;

public sealed partial class Run
{
    /// <summary>
    /// One request to an optional read (logs, media, summaries). A 404 before the read ever answered is looked at
    /// closely: when it is about the route (its body says so, or it says nothing and the run itself is still there) the
    /// read is recorded as unavailable on this server (<see cref="SwanLabApi.Capabilities"/>) and
    /// <see cref="SwanLabCapabilityUnavailableException"/> is thrown; later calls throw it without a request. A 404 about
    /// the run, or any 404 once the read has answered, stays <see cref="SwanLabNotFoundException"/>.
    /// </summary>
    private async Task<JsonElement> OptionalReadAsync(ServerCapability capability, HttpMethod method, string relativePath, object? body,
        string subject, CancellationToken ct)
    {
        var capabilities = _api.Capabilities;
        using var probe = await capabilities.ProbeAsync(capability, ct).ConfigureAwait(false);
        if (capabilities.UnavailableOrNull(capability) is { } known)
            throw new SwanLabCapabilityUnavailableException(known);
        var uri = Connection.ApiUri(relativePath);
        var endpoint = SwanLabConnection.Describe(method, uri);
        var bytes = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, SwanLabJson.Options);
        using var response = await Connection.SendAsync(method, uri, bytes, RequestAuth.Session, bufferBody: true, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound && !capabilities.IsOffered(capability))
        {
            var (meaning, text) = NotFoundAnswer.Classify(Connection.Scrub(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)));
            if (meaning == NotFoundMeaning.Ambiguous)
                meaning = await StillExistsAsync(ct).ConfigureAwait(false) ? NotFoundMeaning.RouteMissing : NotFoundMeaning.RunMissing;
            if (meaning == NotFoundMeaning.RouteMissing)
            {
                var answer = $"{endpoint} answered HTTP 404 {response.ReasonPhrase}".TrimEnd() + (text.Length > 0 ? ": " + text : "");
                throw new SwanLabCapabilityUnavailableException(capabilities.MarkUnavailable(capability, answer));
            }
        }
        await Connection.EnsureSuccessAsync(response, endpoint, subject, ct).ConfigureAwait(false);
        var json = await SwanLabConnection.ReadJsonAsync(response, endpoint, ct).ConfigureAwait(false);
        capabilities.MarkOffered(capability);
        return json;
    }

    /// <summary>Whether the server still has this run (one GET of it), to tell a missing route from a missing run.</summary>
    private async Task<bool> StillExistsAsync(CancellationToken ct)
    {
        try
        {
            await Connection.GetJsonAsync(Endpoints.Run(_workspace, _project, Id), ct, $"Run '{Path}'").ConfigureAwait(false);
            return true;
        }
        catch (SwanLabNotFoundException)
        {
            return false;
        }
    }
}
