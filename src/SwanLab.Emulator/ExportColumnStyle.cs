namespace SwanLab.Emulator;

/// <summary>
/// How the metric export CSV names and orders its columns. The SDK skips the header and reads columns by position,
/// so servers differ here; each style lets specs check that a client matches columns to keys by what the header says.
/// </summary>
public enum ExportColumnStyle
{
    /// <summary><c>{experimentName}-{key}_step</c>, <c>..._timestamp</c>, keys in request order (the SDK's docstring).</summary>
    AsRequested,

    /// <summary>Named with the run's cuid instead of the experimentName the request sent.</summary>
    RunCuid,

    /// <summary>The keys' column pairs in the reverse of the request order.</summary>
    Reversed,

    /// <summary>No experiment prefix at all: <c>{key}_step</c>, <c>{key}_timestamp</c>, keys sorted by name.</summary>
    BareSorted,
}
