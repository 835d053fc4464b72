using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

/// <summary>A raw HTTP client speaking the SDK's calls: key login, sid cookie, JSON bodies.</summary>
internal sealed class TestClient : IDisposable
{
    private readonly HttpClient _http;

    public TestClient(EmulatorServer server)
    {
        Server = server;
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true }) { BaseAddress = server.BaseUrl };
    }

    public EmulatorServer Server { get; }
    public CookieContainer Cookies { get; }
    public HttpClient Http => _http;

    public static async Task<TestClient> LoggedIn(EmulatorServer server)
    {
        var client = new TestClient(server);
        var response = await client.Login(server.ApiKey);
        response.EnsureSuccessStatusCode();
        return client;
    }

    public Task<HttpResponseMessage> Login(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/login/api_key");
        request.Headers.TryAddWithoutValidation("authorization", key);
        return _http.SendAsync(request);
    }

    public async Task<JsonNode?> Get(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _http.GetAsync(path);
        return await Read(response, expected);
    }

    public async Task<JsonNode?> Post(string path, object? body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _http.PostAsync(path, Content(body));
        return await Read(response, expected);
    }

    public async Task<JsonNode?> Put(string path, object? body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _http.PutAsync(path, Content(body));
        return await Read(response, expected);
    }

    public static StringContent Content(object? body)
    {
        var text = body switch
        {
            null => "",
            JsonNode node => node.ToJsonString(),
            string s => s,
            _ => JsonSerializer.Serialize(body),
        };
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<JsonNode?> Read(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>Downloads a presigned URL (absolute, or path-only in self-hosted mode) without the session.</summary>
    public async Task<string> Download(string url)
    {
        using var plain = new HttpClient();
        var absolute = url.StartsWith('/') ? new Uri(Server.BaseUrl, url) : new Uri(url);
        return await plain.GetStringAsync(absolute);
    }

    public void Dispose() => _http.Dispose();
}
