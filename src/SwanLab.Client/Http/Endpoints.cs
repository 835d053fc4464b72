using System.Globalization;
using System.Text;

namespace SwanLab.Client.Http;

/// <summary>
/// Every SwanLab API path, built in one place. Paths are relative to the API base (<c>{host}/api/</c>);
/// segments and query values are percent-encoded; null query values are omitted and booleans are sent as
/// <c>True</c>/<c>False</c> like Python's <c>requests</c> does.
/// </summary>
internal static class Endpoints
{
    public const string Login = "login/api_key";
    public const string UserProfile = "user/profile";
    public const string ApiKeys = "user/key";
    public const string LatestApiKey = "user/key/latest";
    public const string SelfHostedInfo = "self_hosted/info";
    public const string SelfHostedUsersCreate = "self_hosted/users";
    public const string FilesPresignedGet = "files/presigned/get";
    public const string ResourcesPresignedGet = "resources/presigned/get";
    public const string HouseScalar = "house/metrics/scalar";
    public const string HouseScalarValue = "house/metrics/scalar/value";
    public const string HouseScalarExport = "house/metrics/scalar/export";
    public const string HouseSummaries = "house/metrics/summaries";
    public const string HouseMediaAllSteps = "house/metrics/f_media";
    public const string HouseMediaOneStep = "house/metrics/media";

    public static string Workspace(string username) => $"group/{Seg(username)}";
    public static string UserGroups(string username) => $"user/{Seg(username)}/groups";
    public static string ApiKey(long id) => $"user/key/{id.ToString(CultureInfo.InvariantCulture)}";

    public static string SelfHostedUsers(int page, int size) =>
        WithQuery("self_hosted/users", ("page", Int(page)), ("size", Int(size)));

    public static string Projects(string workspace, int page, int size, string? sort, string? search, bool detail) =>
        WithQuery($"project/{Seg(workspace)}", ("page", Int(page)), ("size", Int(size)), ("sort", sort), ("search", search),
            ("detail", Bool(detail)));

    public static string Project(string workspace, string project) => $"project/{Seg(workspace)}/{Seg(project)}";
    public static string RunsShows(string workspace, string project) => $"{Project(workspace, project)}/runs/shows";
    public static string Run(string workspace, string project, string runId) => $"{Project(workspace, project)}/runs/{Seg(runId)}";

    public static string LegacyColumnCsv(string runCuid, string key) =>
        WithQuery($"experiment/{Seg(runCuid)}/column/csv", ("key", key));

    public static string LegacyColumns(string runCuid, int page, int size) =>
        WithQuery($"experiment/{Seg(runCuid)}/column", ("page", Int(page)), ("size", Int(size)));

    public static string HouseKeys(SeriesKind kind) =>
        $"house/metrics/{(kind == SeriesKind.Media ? "media" : "scalar")}/keys";

    public static string HouseLogs(string projectCuid, string runCuid, int size, long epoch, string level,
        string? rootProjectCuid, string? rootRunCuid, long createdAt) =>
        WithQuery("house/metrics/log", ("projectId", projectCuid), ("experimentId", runCuid), ("size", Int(size)),
            ("epoch", epoch.ToString(CultureInfo.InvariantCulture)), ("level", level), ("rootProId", rootProjectCuid),
            ("rootExpId", rootRunCuid), ("createdAt", createdAt.ToString(CultureInfo.InvariantCulture)));

    private static string Seg(string segment) => Uri.EscapeDataString(segment);
    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Bool(bool value) => value ? "True" : "False";

    private static string WithQuery(string path, params (string Name, string? Value)[] parameters)
    {
        var builder = new StringBuilder(path);
        var separator = '?';
        foreach (var (name, value) in parameters)
        {
            if (value is null)
                continue;
            builder.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        return builder.ToString();
    }
}
