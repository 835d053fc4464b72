using System.Text.Encodings.Web;
using System.Text.Json;

namespace SwanLab.Client.Http;

/// <summary>JSON settings for request bodies: property names as written, non-finite floats rejected.</summary>
internal static class SwanLabJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.Default,
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };
}
