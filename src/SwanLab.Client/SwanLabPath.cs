namespace SwanLab.Client;

/// <summary>
/// Validates the slash-separated paths the API takes (<c>"workspace"</c>, <c>"workspace/project"</c>,
/// <c>"workspace/project/run-id"</c>) before any request is sent, so a typo fails with a clear message instead of
/// a confusing 404 or a request to the wrong URL.
/// </summary>
internal static class SwanLabPath
{
    private static readonly string[] Shapes = ["", "'workspace'", "'workspace/project'", "'workspace/project/run-id'"];

    public static string[] Split(string? path, int segments, string paramName)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"The path is empty; expected {Shapes[segments]}.", paramName);
        var parts = path.Split('/');
        if (parts.Length != segments)
            throw new ArgumentException(
                $"'{path}' has {parts.Length} segment(s); expected {segments}: {Shapes[segments]}.", paramName);
        foreach (var part in parts)
            ValidateSegment(part, path, paramName);
        return parts;
    }

    public static void ValidateSegment(string part, string path, string paramName)
    {
        if (part.Length == 0)
            throw new ArgumentException($"'{path}' has an empty segment; expected no leading, trailing or double '/'.", paramName);
        if (part is "." or "..")
            throw new ArgumentException($"'{path}' contains the segment '{part}', which is not a valid name.", paramName);
        if (part.Trim().Length != part.Length)
            throw new ArgumentException($"'{path}' has a segment with leading or trailing whitespace.", paramName);
        foreach (var c in part)
        {
            if (char.IsControl(c) || c is '?' or '#' or '\\' or '%')
                throw new ArgumentException($"'{path}' contains the character '{(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) : c.ToString())}', which a SwanLab name cannot contain.", paramName);
        }
    }
}
