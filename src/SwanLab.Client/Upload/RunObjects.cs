using System.Globalization;
using System.Text.Json;
using SwanLab.Client.Http;

namespace SwanLab.Client.Upload;

/// <summary>
/// Turns objects the read side returns (a run's or project's JSON, as a backup's <c>run.json</c> and
/// <c>project.json</c> hold them, or <see cref="Run.Json"/>) into what the write side sends, so import (from a backup)
/// and migrate (from a live server) carry the same fields.
/// </summary>
public static class RunObjects
{
    /// <summary>
    /// The experiment create for a copy of <paramref name="run"/>: its id (<c>cuid</c>), name, <c>createdAt</c>,
    /// description, labels, group (<c>cluster</c>), job and colours. Not carried by the protocol: creator, pin, show, clone
    /// lineage (<c>rootExpId</c>), slug when it differs from the cuid.
    /// </summary>
    /// <exception cref="ArgumentException">The object has no <c>cuid</c> or <c>name</c>, or an unreadable <c>createdAt</c>.</exception>
    public static ExperimentSpec ToExperimentSpec(JsonElement run)
    {
        var cuid = run.StrOrNull("cuid") ?? throw new ArgumentException("The run object has no cuid.", nameof(run));
        var name = run.StrOrNull("name") ?? throw new ArgumentException("The run object has no name.", nameof(run));
        DateTimeOffset? createdAt = null;
        if (run.StrOrNull("createdAt") is { } created)
            createdAt = DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed
                : throw new ArgumentException($"The run's createdAt '{created}' is not a date.", nameof(run));
        return new ExperimentSpec(cuid, name)
        {
            CreatedAt = createdAt,
            Description = run.StrOrNull("description"),
            Labels = run.Prop("labels").Items().Select(l => l.Str("name")).Where(l => l.Length > 0).ToList(),
            Group = run.StrOrNull("cluster"),
            JobType = run.StrOrNull("job"),
            Colors = run.Prop("colors").Items().Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!).ToList(),
        };
    }

    /// <summary>The project create for a copy of <paramref name="project"/> into <paramref name="workspace"/> (default: its own).</summary>
    public static ProjectSpec ToProjectSpec(JsonElement project, string? workspace = null)
    {
        var name = project.StrOrNull("name") ?? throw new ArgumentException("The project object has no name.", nameof(project));
        workspace ??= project.Prop("group").StrOrNull("username") ?? project.StrOrNull("username")
            ?? throw new ArgumentException("The project object names no workspace.", nameof(project));
        return new ProjectSpec(workspace, name)
        {
            Visibility = project.StrOrNull("visibility") ?? "PRIVATE",
            Description = project.StrOrNull("description"),
        };
    }

    /// <summary>The state to finish a copy with; null for <c>RUNNING</c> and <c>OFFLINE</c> (a copy of a live run stays open).</summary>
    public static RunFinalState? FinalState(string state) => state.ToUpperInvariant() switch
    {
        "FINISHED" => RunFinalState.Finished,
        "CRASHED" => RunFinalState.Crashed,
        "ABORTED" => RunFinalState.Aborted,
        _ => null,
    };
}
