using SwanLab.Client;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// A --workspace, --project or --run the server does not have (or does not let this key read). It is a usage error
/// (exit 2), not a failure to retry: running the same command again can only fail the same way.
/// </summary>
public sealed class SelectionNotFoundException(string host, IReadOnlyList<string> missing)
    : ArgumentException($"not found on {host}: {string.Join("; ", missing)}. " +
                        "Check the names (as in the SwanLab web address: workspace/project/run-id); nothing was exported.")
{
    /// <summary>One line per selection, e.g. "--project alice/nope: no such project".</summary>
    public IReadOnlyList<string> Missing { get; } = missing;
}

/// <summary>
/// Looks up every explicitly selected workspace, project and run before anything is written, so a selection that
/// does not exist stops the export at once with its name instead of ending as a "failed run" that a retry loop would
/// repeat for ever. Only "not found" and "forbidden" answers count: any other failure is left to the crawl, whose
/// retries and failure records handle it as usual.
/// </summary>
public static class SelectionCheck
{
    /// <exception cref="SelectionNotFoundException">At least one selection does not exist.</exception>
    public static async Task EnsureExistsAsync(CrawlSettings settings, ICrawlSource source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        var missing = new List<string>();
        foreach (var workspace in settings.Workspaces.Select(Trim).Distinct(StringComparer.Ordinal))
        {
            if (await AbsentAsync(() => source.WorkspaceAsync(workspace, ct)) is { } why)
                missing.Add($"--workspace {workspace}: {why} workspace");
        }
        foreach (var project in settings.Projects.Select(Trim).Distinct(StringComparer.Ordinal))
        {
            if (await AbsentAsync(() => source.ProjectAsync(project, ct)) is { } why)
                missing.Add($"--project {project}: {await WhichPartAsync(source, project, why, ct)}");
        }
        foreach (var run in settings.Runs.Select(Trim).Distinct(StringComparer.Ordinal))
        {
            if (await AbsentAsync(() => source.RunAsync(run, ct)) is { } why)
                missing.Add($"--run {run}: {await WhichPartAsync(source, run, why, ct)}");
        }
        if (missing.Count > 0) throw new SelectionNotFoundException(source.Identity.Host, missing);
    }

    /// <summary>Names the first part of a "ws/project[/run]" path that is missing.</summary>
    private static async Task<string> WhichPartAsync(ICrawlSource source, string path, string why, CancellationToken ct)
    {
        var parts = path.Split('/');
        if (await AbsentAsync(() => source.WorkspaceAsync(parts[0], ct)) is { } workspaceWhy)
            return $"{workspaceWhy} workspace '{parts[0]}'";
        if (parts.Length == 3 && await AbsentAsync(() => source.ProjectAsync($"{parts[0]}/{parts[1]}", ct)) is { } projectWhy)
            return $"{projectWhy} project '{parts[0]}/{parts[1]}'";
        return parts.Length == 3 ? $"{why} run '{parts[2]}' in project '{parts[0]}/{parts[1]}'" : $"{why} project";
    }

    /// <summary>"no such" / "no access to" when the lookup says so; null when it found it or failed otherwise.</summary>
    private static async Task<string?> AbsentAsync<T>(Func<Task<T>> lookup)
    {
        try
        {
            await lookup();
            return null;
        }
        catch (SwanLabNotFoundException)
        {
            return "no such";
        }
        catch (SwanLabForbiddenException)
        {
            return "this API key has no access to the";
        }
        catch (Exception e) when (e is SwanLabException or HttpRequestException or TimeoutException or IOException)
        {
            return null;
        }
    }

    private static string Trim(string selection) => selection.Trim().Trim('/');
}
