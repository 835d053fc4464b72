using System.Text.Json.Nodes;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>How House read bodies name the run and the columns they read.</summary>
internal static class MetricRefs
{
    /// <summary>The run whose data a column ref reads: rootExpId when sent, else experimentId as is.</summary>
    public static EmulatorRun? DataRun(Backend b, JsonNode? reference) =>
        b.Dataset.FindRun(Json.Str(reference?["rootExpId"]) is { Length: > 0 } root ? root : Json.Str(reference?["experimentId"]) ?? "");

    public static JsonObject[] Columns(JsonObject? body) => (body?["columns"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
}
