using Microsoft.AspNetCore.Http;
using SwanLab.Emulator.Data;

namespace SwanLab.Emulator.Http;

/// <summary>Everything a handler needs, shared by all endpoint groups of one server instance.</summary>
internal sealed class Backend(EmulatorOptions options, EmulatorDataset dataset, EmulatorFaults faults, EmulatorStats stats)
{
    public EmulatorOptions Options { get; } = options;
    public EmulatorDataset Dataset { get; } = dataset;
    public EmulatorFaults Faults { get; } = faults;
    public EmulatorStats Stats { get; } = stats;
    public Accounts Accounts { get; } = new(options, dataset.User);
    public ObjectStore Store { get; } = new(options, dataset);

    /// <summary>Wraps a handler with the sid-cookie check (401 Unauthorized when missing or expired).</summary>
    public RequestDelegate Authed(Func<HttpContext, EmulatorUser, Task> handler) => ctx =>
        Accounts.Authenticate(ctx) is { } user ? handler(ctx, user) : Json.Unauthorized(ctx);

    /// <summary>The project named by the {workspace}/{project} route values, or null (callers answer 404).</summary>
    public EmulatorProject? Project(HttpContext ctx)
    {
        var ws = Json.Route(ctx, "workspace");
        var name = Json.Route(ctx, "project");
        return Dataset.FindProject(ws, name);
    }
}
