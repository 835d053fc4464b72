using System.Text.Json;
using System.Text.Json.Nodes;
using SwanLab.Emulator.Data;
using SwanLab.Emulator.Http;

namespace SwanLab.Emulator.Endpoints;

/// <summary>How much of a run object a response carries.</summary>
internal enum RunView
{
    /// <summary><c>GET .../runs/{id}</c>: profile with config, metadata, requirements, conda.</summary>
    Detail,

    /// <summary><c>runs/shows</c>: profile with config and scalar key map.</summary>
    Shows,

    /// <summary>Paginated <c>GET .../runs</c>: "summary info", profile with config only.</summary>
    Summary,
}

/// <summary>JSON shapes of the domain objects, field for field as the SDKs read them.</summary>
internal static class Writers
{
    public static void Workspace(Utf8JsonWriter w, EmulatorWorkspace ws, EmulatorDataset dataset)
    {
        w.WriteStartObject();
        w.WriteString("name", ws.Name);
        w.WriteString("username", ws.Username);
        w.WriteString("type", ws.Type);
        w.WriteString("comment", ws.Comment);
        w.WriteString("role", ws.Role);
        var user = ws.Type == "PERSON" ? dataset.Users.FirstOrDefault(u => u.Username == ws.Username) : null;
        w.WriteStartObject("profile");
        w.WriteString("bio", user?.Bio ?? ws.Comment);
        w.WriteString("url", "");
        w.WriteString("institution", user?.Institution ?? "");
        w.WriteString("school", "");
        w.WriteString("email", user?.Email ?? "");
        w.WriteString("location", "");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void Project(Utf8JsonWriter w, EmulatorProject p)
    {
        var runs = p.Runs;
        w.WriteStartObject();
        w.WriteString("cuid", p.Cuid);
        w.WriteString("name", p.Name);
        w.WriteString("username", p.Workspace.Username);
        w.WriteString("path", p.Path);
        w.WriteString("description", p.Description);
        w.WriteString("visibility", p.Visibility);
        w.WriteString("createdAt", Json.Iso(p.CreatedAt));
        w.WriteString("updatedAt", Json.Iso(p.UpdatedAt));
        w.WriteStartObject("group");
        w.WriteString("name", p.Workspace.Name);
        w.WriteString("username", p.Workspace.Username);
        w.WriteString("type", p.Workspace.Type);
        w.WriteEndObject();
        w.WriteStartArray("projectLabels");
        foreach (var label in p.Labels)
        {
            w.WriteStartObject();
            w.WriteString("name", label);
            w.WriteStartArray("colors");
            w.WriteStringValue("#528d59");
            w.WriteStringValue("#528d59");
            w.WriteEndArray();
            w.WriteString("cuid", Rng.HashString(p.Cuid + label).ToString("x16", System.Globalization.CultureInfo.InvariantCulture)[..16]);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("_count");
        w.WriteNumber("experiments", runs.Count);
        w.WriteNumber("contributors", runs.Select(r => r.CreatedBy).Distinct().Count());
        w.WriteNumber("children", 0);
        w.WriteNumber("collaborators", 0);
        w.WriteNumber("runningExps", runs.Count(r => r.State == "RUNNING"));
        w.WriteNumber("clones", runs.Count(r => r.RootExpId is not null));
        w.WriteEndObject();
        w.WriteString("role", p.Workspace.Role);
        if (p.Version is { } version)
        {
            w.WriteNumber("version", version);
        }

        w.WriteEndObject();
    }

    public static void Run(Utf8JsonWriter w, EmulatorRun run, EmulatorDataset dataset, RunView view)
    {
        w.WriteStartObject();
        w.WriteString("cuid", run.Cuid);
        w.WriteString("slug", run.Slug);
        w.WriteString("name", run.Name);
        w.WriteString("type", "CHAPTER");
        w.WriteString("description", run.Description);
        w.WriteString("state", run.State);
        w.WriteBoolean("show", run.Show);
        w.WriteBoolean("pin", run.Pinned);
        w.WriteStartArray("labels");
        foreach (var label in run.Labels)
        {
            w.WriteStartObject();
            w.WriteString("name", label);
            w.WriteStartArray("colors");
            w.WriteStringValue("#528d59");
            w.WriteStringValue("#528d59");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("colors");
        foreach (var color in run.Colors)
        {
            w.WriteStringValue(color);
        }

        w.WriteEndArray();
        w.WriteString("cluster", run.Cluster);
        w.WriteString("job", run.Job);
        var user = dataset.Users.FirstOrDefault(u => u.Username == run.CreatedBy);
        w.WriteStartObject("user");
        w.WriteString("username", run.CreatedBy);
        w.WriteString("name", user?.Name ?? run.CreatedBy);
        w.WriteEndObject();
        WriteNullable(w, "rootExpId", run.RootExpId);
        WriteNullable(w, "rootProId", run.RootProId);
        w.WriteString("createdAt", Json.Iso(run.CreatedAt));
        w.WriteString("updatedAt", Json.Iso(run.FinishedAt ?? run.CreatedAt));
        WriteNullable(w, "finishedAt", run.FinishedAt is { } f ? Json.Iso(f) : null);
        w.WriteStartObject("profile");
        w.WritePropertyName("config");
        run.Config.WriteTo(w);
        switch (view)
        {
            case RunView.Detail:
                w.WritePropertyName("metadata");
                run.Metadata.WriteTo(w);
                w.WriteString("requirements", run.Requirements);
                w.WriteString("conda", run.Conda);
                break;
            case RunView.Shows:
                w.WriteStartObject("scalar");
                foreach (var s in dataset.DataOwner(run).Scalars)
                {
                    w.WriteStartArray(s.Key);
                    w.WriteEndArray();
                }

                w.WriteEndObject();
                break;
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>The unwrapped value of a wrapped config entry.</summary>
    public static JsonNode? Unwrap(JsonNode? entry) =>
        entry is JsonObject o && o.ContainsKey("value") ? o["value"] : entry;
}
