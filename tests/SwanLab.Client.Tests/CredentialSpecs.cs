using SwanLab.Client.Auth;

namespace SwanLab.Client.Tests;

/// <summary>Key and host lookup: explicit &gt; SWANLAB_API_KEY &gt; .netrc; never the real home folder.</summary>
public sealed class CredentialSpecs : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("swanlab-cred-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Home => Path.Combine(_root, "home");
    private string Cwd => Path.Combine(_root, "cwd");

    private SwanLabEnvironment Env(params (string Name, string Value)[] variables) =>
        new(variables.ToDictionary(v => v.Name, v => v.Value), Home, Cwd);

    private string WriteNetrc(string folder, string machine, string login, string key)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, ".netrc");
        File.WriteAllText(path, $"machine {machine}\n\tlogin {login}\n\tpassword {key}\n");
        return path;
    }

    [Fact]
    public void Should_prefer_the_explicit_key_over_environment_and_netrc()
    {
        WriteNetrc(Path.Combine(Home, ".swanlab"), "https://api.swanlab.cn", "https://swanlab.cn", "netrckey");
        var resolved = CredentialResolver.Resolve(new SwanLabApiOptions { ApiKey = "explicit", Environment = Env(("SWANLAB_API_KEY", "envkey")) });
        Assert.Equal(("explicit", CredentialSource.Explicit), (resolved.ApiKey, resolved.Source));
        Assert.Equal("https://api.swanlab.cn", resolved.ApiHost);
        Assert.Equal("https://swanlab.cn", resolved.WebHost);
    }

    [Fact]
    public void Should_prefer_the_environment_key_over_netrc()
    {
        WriteNetrc(Path.Combine(Home, ".swanlab"), "https://api.swanlab.cn", "https://swanlab.cn", "netrckey");
        var resolved = CredentialResolver.Resolve(new SwanLabApiOptions { Environment = Env(("SWANLAB_API_KEY", "envkey")) });
        Assert.Equal(("envkey", CredentialSource.EnvironmentVariable), (resolved.ApiKey, resolved.Source));
    }

    [Fact]
    public void Should_read_the_home_netrc_and_take_host_and_web_host_from_it()
    {
        var path = WriteNetrc(Path.Combine(Home, ".swanlab"), "http://127.0.0.1:5092/api", "http://127.0.0.1:5093", "homekey");
        var resolved = CredentialResolver.Resolve(new SwanLabApiOptions { Environment = Env() });
        Assert.Equal(("homekey", CredentialSource.Netrc, path), (resolved.ApiKey, resolved.Source, resolved.NetrcPath));
        Assert.Equal("http://127.0.0.1:5092", resolved.ApiHost);
        Assert.Equal("http://127.0.0.1:5093", resolved.WebHost);
        Assert.DoesNotContain("homekey", resolved.ToString());
    }

    [Fact]
    public void Should_look_in_swanlab_root_before_swanlab_save_dir_before_home()
    {
        WriteNetrc(Path.Combine(Home, ".swanlab"), "https://h.example", "https://h.example", "home");
        var saveDir = Path.Combine(_root, "save");
        WriteNetrc(saveDir, "https://h.example", "https://h.example", "save");
        Assert.Equal("save", CredentialResolver.Resolve(new SwanLabApiOptions { Environment = Env(("SWANLAB_SAVE_DIR", saveDir)) }).ApiKey);
        var rootDir = Path.Combine(_root, "root");
        WriteNetrc(rootDir, "https://h.example", "https://h.example", "root");
        Assert.Equal("root", CredentialResolver.Resolve(new SwanLabApiOptions
        {
            Environment = Env(("SWANLAB_SAVE_DIR", saveDir), ("SWANLAB_ROOT", rootDir)),
        }).ApiKey);
    }

    [Fact]
    public void Should_prefer_a_project_level_netrc_in_the_working_folder()
    {
        WriteNetrc(Path.Combine(Home, ".swanlab"), "https://h.example", "https://h.example", "home");
        WriteNetrc(Path.Combine(Cwd, ".swanlab"), "https://h.example", "https://h.example", "local");
        Assert.Equal("local", CredentialResolver.Resolve(new SwanLabApiOptions { Environment = Env() }).ApiKey);
    }

    [Fact]
    public void Should_not_send_a_netrc_key_to_a_different_configured_host()
    {
        WriteNetrc(Path.Combine(Home, ".swanlab"), "https://a.example", "https://a.example", "akey");
        var ex = Assert.Throws<SwanLabAuthenticationException>(() =>
            CredentialResolver.Resolve(new SwanLabApiOptions { Environment = Env(("SWANLAB_API_HOST", "https://b.example/api")) }));
        Assert.Contains("https://b.example", ex.Message);
        Assert.Equal("akey", CredentialResolver.Resolve(new SwanLabApiOptions { Host = "a.example", Environment = Env() }).ApiKey);
    }

    [Fact]
    public void Should_take_hosts_from_the_environment_and_normalise_them()
    {
        var resolved = CredentialResolver.Resolve(new SwanLabApiOptions
        {
            Environment = Env(("SWANLAB_API_KEY", "k"), ("SWANLAB_API_HOST", "http://my.host:8000/api"), ("SWANLAB_WEB_HOST", "my.web")),
        });
        Assert.Equal(("http://my.host:8000", "https://my.web"), (resolved.ApiHost, resolved.WebHost));
    }

    [Fact]
    public void Should_explain_how_to_log_in_when_no_key_is_found()
    {
        var ex = Assert.Throws<SwanLabAuthenticationException>(() => CredentialResolver.Resolve(new SwanLabApiOptions { Environment = Env() }));
        Assert.Contains("SWANLAB_API_KEY", ex.Message);
        Assert.Contains("swanlab login", ex.Message);
        Assert.True(ex.NoApiKey);
    }

    [Fact]
    public async Task Should_connect_with_the_netrc_key_end_to_end()
    {
        WriteNetrc(Path.Combine(Home, ".swanlab"), "http://stub.test", "http://stub.test", StubHandler.Key);
        var stub = new StubHandler();
        await using var api = await SwanLabApi.ConnectAsync(new SwanLabApiOptions { HttpHandler = stub, Environment = Env() });
        Assert.Equal(CredentialSource.Netrc, api.CredentialSource);
        Assert.Equal("http://stub.test", api.Host);
        Assert.Equal(StubHandler.Key, stub.Requests.Single().Authorization);
    }
}
