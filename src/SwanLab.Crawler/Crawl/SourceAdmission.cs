using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>The folder holds a backup of another server or user; exporting into it would mix two sources (exit 2).</summary>
public sealed class OtherSourceException(string root, BackupSource backup, BackupSource export)
    : Exception($"'{root}' holds a backup of {backup}; this export reads {export}. Exporting it into the same folder would " +
                "mix two sources in one backup: give another --out, or add --allow-other-source to mix them anyway.")
{
    public BackupSource Backup { get; } = backup;
    public BackupSource Export { get; } = export;
}

/// <summary>
/// Decides, before an export writes anything, whether it may go into its folder, and what the folder's recorded scope
/// becomes: the same source (host and user) as the backup's, or any with <see cref="CrawlSettings.AllowOtherSource"/>;
/// this export's selection joins the earlier ones (a --restart starts the list over).
/// </summary>
public static class SourceAdmission
{
    /// <exception cref="OtherSourceException">Another source, and no --allow-other-source.</exception>
    public static async Task<BackupScope> AdmitAsync(BackupLayout layout, SourceIdentity identity, CrawlSettings settings,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(settings);
        var source = BackupSources.Of(identity, settings);
        var known = await KnownSourcesAsync(layout, ct);
        if (known.Count > 0 && !known.Any(k => k.SameAs(source)) && !settings.AllowOtherSource)
            throw new OtherSourceException(layout.Root, known[0], source);
        var selection = SelectionOf(settings);
        if (settings.Restart) return new BackupScope([source], [selection]);
        var scope = await ReadScopeAsync(layout, ct) ?? new BackupScope(known, []);
        return scope.With(source, selection);
    }

    public static BackupSelection SelectionOf(CrawlSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return BackupSelection.Create(settings.Workspaces, settings.Projects, settings.Runs, settings.Filter.States,
            settings.Filter.Config);
    }

    /// <summary>The recorded sources; for a backup made before they were recorded, the one its backup.json names.</summary>
    private static async Task<IReadOnlyList<BackupSource>> KnownSourcesAsync(BackupLayout layout, CancellationToken ct)
    {
        if (await ReadScopeAsync(layout, ct) is { Sources.Count: > 0 } scope) return scope.Sources;
        try
        {
            return await BackupInfo.ReadAsync(layout, ct) is { } info ? [info.Source] : [];
        }
        catch (FormatException)
        {
            return [];
        }
    }

    private static async Task<BackupScope?> ReadScopeAsync(BackupLayout layout, CancellationToken ct)
    {
        try { return await BackupScope.ReadAsync(layout, ct); }
        catch (FormatException) { return null; }
    }
}
