using System.Globalization;

namespace SwanLab.Client.Upload;

/// <summary>The write paths of both SDKs, relative to the API base; segments percent-encoded.</summary>
internal static class UploadEndpoints
{
    public const string HouseMetrics = "house/metrics";
    public const string PresignedPut = "resources/presigned/put";
    public const string LegacyProjectCreate = "project";

    public static string ProjectCreate(string workspace) => $"projects/{Seg(workspace)}";
    public static string OldProjectCreate(string workspace) => $"project/{Seg(workspace)}";
    public static string Project(string workspace, string name) => $"project/{Seg(workspace)}/{Seg(name)}";
    public static string ExperimentCreate(string workspace, string project) => $"{Project(workspace, project)}/experiment";
    public static string Run(string workspace, string project, string cuid) => $"{Project(workspace, project)}/runs/{Seg(cuid)}";
    public static string Profile(string workspace, string project, string cuid) => Run(workspace, project, cuid) + "/profile";
    public static string State(string workspace, string project, string cuid) => Run(workspace, project, cuid) + "/state";
    public static string Series(string workspace, string project) => $"projects/{Seg(workspace)}/{Seg(project)}/series";
    public static string LegacyColumns(string cuid) => $"experiment/{Seg(cuid)}/columns";
    public static string Heartbeat(string cuid) => $"house/experiments/{Seg(cuid)}/heartbeat";

    public static string ResumeSummary(string projectCuid, string runCuid, long createdAtSeconds) =>
        $"house/metrics/summaries/{Seg(projectCuid)}/{Seg(runCuid)}?all=True&createdAt={createdAtSeconds.ToString(CultureInfo.InvariantCulture)}";

    private static string Seg(string segment) => Uri.EscapeDataString(segment);
}
