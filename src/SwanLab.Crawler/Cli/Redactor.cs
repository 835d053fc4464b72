namespace SwanLab.Crawler.Cli;

/// <summary>
/// Last line of defence for the API key: every message the CLI prints from somewhere else (exceptions, failed
/// units) passes through here, so even a library that leaked the key into a message cannot make us print it.
/// </summary>
internal sealed class Redactor
{
    public const string Mask = "***";
    readonly string[] secrets;

    public Redactor(params string?[] secrets) =>
        this.secrets = secrets.Where(s => !string.IsNullOrWhiteSpace(s) && s.Length >= 4).Select(s => s!).Distinct().ToArray();

    public Redactor With(string? secret) => new([.. secrets, secret]);

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return text ?? "";
        foreach (var secret in secrets)
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }
}
