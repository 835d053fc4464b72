namespace SwanLab.Emulator.Tests;

/// <summary>A clock tests move by hand (presign and session expiry without waiting).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
