using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Tests;

/// <summary>
/// A client that knows nothing of the emulator's code, only the SDK's HTTP calls as the contract describes them,
/// walks every workspace, project, run, profile and metric series of the demo dataset.
/// </summary>
public sealed class NaiveClientSpecs
{
    [Fact]
    public async Task Should_let_a_naive_client_walk_the_whole_demo_account_without_errors()
    {
        await using var server = await EmulatorServer.StartAsync(new EmulatorOptions { Size = DatasetSize.Demo, ApiKey = "demoKEY0123456789abcd" });
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(server.BaseUrl + "api/") };

        async Task<JsonNode> Call(HttpMethod method, string path, string? json = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
            return JsonNode.Parse(text)!;
        }

        string me;
        using (var login = new HttpRequestMessage(HttpMethod.Post, "login/api_key"))
        {
            login.Headers.TryAddWithoutValidation("authorization", "demoKEY0123456789abcd");
            using var response = await http.SendAsync(login);
            response.EnsureSuccessStatusCode();
            me = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["userInfo"]!["username"]!.GetValue<string>();
        }

        var workspaces = new List<string> { me };
        workspaces.AddRange((await Call(HttpMethod.Get, $"user/{me}/groups")).AsArray().Select(g => g!["username"]!.GetValue<string>()));

        int projects = 0, runs = 0, series = 0, points = 0;
        using var downloads = new HttpClient();
        foreach (var ws in workspaces)
        {
            Assert.NotNull((await Call(HttpMethod.Get, $"group/{ws}"))["type"]);
            for (var page = 1; ; page++)
            {
                var list = await Call(HttpMethod.Get, $"project/{ws}?page={page}&size=20&detail=True");
                foreach (var item in list["list"]!.AsArray())
                {
                    projects++;
                    var path = item!["path"]!.GetValue<string>();
                    Assert.Equal(2, path.Split('/').Length);
                    var project = await Call(HttpMethod.Get, $"project/{path}");
                    var shows = await Call(HttpMethod.Post, $"project/{path}/runs/shows", "{\"filters\": []}");
                    foreach (var runItem in Flatten(shows))
                    {
                        runs++;
                        var run = await Call(HttpMethod.Get, $"project/{path}/runs/{runItem["cuid"]}");
                        Assert.NotNull(run["profile"]!["config"]);
                        var rootExp = run["rootExpId"]?.GetValue<string>();
                        var rootPro = run["rootProId"]?.GetValue<string>();
                        var createdAt = DateTimeOffset.Parse(run["createdAt"]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUnixTimeSeconds();
                        var keysBody = new JsonObject
                        {
                            ["experiments"] = new JsonArray(new JsonObject { ["projectId"] = rootPro ?? project["cuid"]!.GetValue<string>(), ["experimentId"] = rootExp ?? run["cuid"]!.GetValue<string>(), ["createdAt"] = createdAt }),
                            ["limit"] = 2000,
                            ["cursor"] = "",
                        };
                        var keys = (await Call(HttpMethod.Post, "house/metrics/scalar/keys", keysBody.ToJsonString()))["keys"]!.AsArray();
                        foreach (var key in keys.Select(k => k!.GetValue<string>()))
                        {
                            series++;
                            var url = (await Call(HttpMethod.Get, $"experiment/{run["cuid"]}/column/csv?key={Uri.EscapeDataString(key)}"))["url"]!.GetValue<string>();
                            var csv = await downloads.GetStringAsync(url);
                            points += csv.Count(c => c == '\n') - 1;
                        }

                        await Call(HttpMethod.Get, $"house/metrics/log?projectId={project["cuid"]}&experimentId={run["cuid"]}&size=1000&epoch=0&level=INFO&createdAt={createdAt}"
                            + (rootExp is null ? "" : $"&rootExpId={rootExp}&rootProId={rootPro}"));
                    }
                }

                if (page >= list["pages"]!.GetValue<int>())
                {
                    break;
                }
            }
        }

        Assert.Equal(server.Dataset.Projects.Count, projects);
        Assert.Equal(server.Dataset.Runs.Count, runs);
        Assert.Equal(server.Dataset.Runs.Sum(r => server.Dataset.DataOwner(r).Scalars.Count), series);
        Assert.Equal(server.Dataset.Runs.Sum(r => server.Dataset.DataOwner(r).Scalars.Sum(s => s.Count)), points);
    }

    private static IEnumerable<JsonNode> Flatten(JsonNode node) => node switch
    {
        JsonArray array => array.Select(n => n!),
        JsonObject obj => obj.SelectMany(p => Flatten(p.Value!)),
        _ => [],
    };
}
