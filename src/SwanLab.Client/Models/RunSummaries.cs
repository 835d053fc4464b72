using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client;

public sealed partial class Run
{
    /// <summary>
    /// Server-side summaries per key (<c>POST /house/metrics/summaries</c>; all keys when <paramref name="keys"/> is null).
    /// On 0.7.8 servers the older array form of the same endpoint is used (step, value, min, max only).
    /// </summary>
    /// <exception cref="SwanLabCapabilityUnavailableException">The server has no summaries route.</exception>
    public async Task<IReadOnlyDictionary<string, MetricSummary>> SummaryAsync(IReadOnlyList<string>? keys = null, CancellationToken ct = default)
    {
        var projectId = await ProjectIdAsync(ct).ConfigureAwait(false);
        JsonElement perKey;
        if (await _api.DetectProtocolAsync(ct).ConfigureAwait(false) == SwanLabProtocol.Legacy)
        {
            var item = new Dictionary<string, object?> { ["experimentId"] = Id, ["projectId"] = projectId };
            if (RootRunId is not null && RootProjectId is not null)
            {
                item["rootExpId"] = RootRunId;
                item["rootProId"] = RootProjectId;
            }
            var json = await OptionalReadAsync(ServerCapability.Summaries, HttpMethod.Post, Endpoints.HouseSummaries, new[] { item },
                $"Summary of run '{Path}'", ct).ConfigureAwait(false);
            perKey = json.ValueKind == JsonValueKind.Object ? json.EnumerateObject().Select(p => p.Value).FirstOrDefault() : default;
        }
        else
        {
            var body = new Dictionary<string, object?> { ["experiments"] = new[] { ExperimentRef(projectId) } };
            if (keys is not null)
                body["keys"] = keys;
            var json = await OptionalReadAsync(ServerCapability.Summaries, HttpMethod.Post, Endpoints.HouseSummaries, body,
                $"Summary of run '{Path}'", ct).ConfigureAwait(false);
            perKey = json.Prop(Id);
        }
        var result = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
        if (perKey.ValueKind != JsonValueKind.Object)
            return result;
        foreach (var property in perKey.EnumerateObject())
        {
            if (keys is not null && !keys.Contains(property.Name))
                continue;
            var s = property.Value;
            result[property.Name] = new MetricSummary(property.Name, s.Long("step"), JsonRead.AsDouble(s.Prop("value")),
                Number(s.Prop("min")), Number(s.Prop("max")), JsonRead.AsDouble(s.Prop("avg")), JsonRead.AsDouble(s.Prop("median")),
                JsonRead.AsDouble(s.Prop("stdDev")), s);
        }
        return result;

        static double? Number(JsonElement value) =>
            value.ValueKind == JsonValueKind.Object ? JsonRead.AsDouble(value.Prop("data")) : JsonRead.AsDouble(value);
    }
}
