using SwanLab.Crawler.Backup;
using SwanLab.Crawler.Source;

namespace SwanLab.Crawler.Crawl;

/// <summary>
/// An export's hold on its backup folder, from admission to the end: the folder checked and admitted for this source
/// and selection, the lock taken, leftover temp files swept (only under the lock: a running export's temp files look
/// exactly like a crashed one's), the scope recorded, a complete backup.json marked unfinished, and the checkpoint
/// opened. A one-process export and a cluster's coordinator open it the same way. Disposing closes the checkpoint and
/// lets go of the lock.
/// </summary>
public sealed class BackupSession : IAsyncDisposable
{
    private readonly BackupLock _lock;
    private readonly FileCheckpointStore _checkpoint;

    private BackupSession(BackupLayout layout, BackupLock folderLock, FileCheckpointStore checkpoint, BackupWriter writer)
    {
        Layout = layout;
        _lock = folderLock;
        _checkpoint = checkpoint;
        Writer = writer;
    }

    public BackupLayout Layout { get; }
    public ICheckpointStore Checkpoint => _checkpoint;
    public BackupWriter Writer { get; }

    /// <param name="sweepTempFiles">
    /// False when other processes may be writing into the folder under this session (a cluster coordinator that took
    /// over mid-crawl): their temp files are live. The sweep at the end of the crawl removes what is left.
    /// </param>
    /// <exception cref="ArgumentException">A --workspace/--project/--run selection is malformed.</exception>
    /// <exception cref="SelectionNotFoundException">A selection does not exist.</exception>
    /// <exception cref="UnsafePathException">The output folder cannot be used.</exception>
    /// <exception cref="FolderNotABackupException">The output folder holds other files (and AllowNonEmpty is off).</exception>
    /// <exception cref="BackupInUseException">Another process is exporting (or importing) with the same folder.</exception>
    /// <exception cref="OtherSourceException">The folder holds a backup of another server or user.</exception>
    public static async Task<BackupSession> OpenAsync(CrawlSettings settings, ICrawlSource source,
        IEnumerable<string>? secrets, CancellationToken ct, bool sweepTempFiles = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(source);
        CrawlScopes.Build(settings);
        var layout = new BackupLayout(settings.OutputDirectory);
        // Before anything is written: someone else's folder, a folder holding another source's backup, or a selection
        // the server does not have, is a usage error.
        CrawlRunner.CheckOutputFolder(settings);
        var scope = await SourceAdmission.AdmitAsync(layout, source.Identity, settings, ct);
        await SelectionCheck.EnsureExistsAsync(settings, source, ct);
        Directory.CreateDirectory(layout.Root);
        // The private folder first: it marks DIR as a backup (status reads it as "0 runs done" after an early
        // Ctrl+C) and lets the CLI's crawler.log start at once.
        Directory.CreateDirectory(layout.StateDirectory);
        var folderLock = BackupLock.Acquire(layout, "export");
        try
        {
            if (sweepTempFiles) AtomicFile.SweepTempFiles(layout.Root);
            await scope.WriteAsync(layout, ct);
            await BackupDescription.MarkUnfinishedAsync(layout, ct);
            var checkpoint = new FileCheckpointStore(layout, secrets);
            return new BackupSession(layout, folderLock, checkpoint, new BackupWriter(layout, settings.Format, settings.Sample));
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>Removes leftover temp files; only when nothing else writes into the folder any more.</summary>
    public int SweepTempFiles() => AtomicFile.SweepTempFiles(Layout.Root);

    public async ValueTask DisposeAsync()
    {
        await _checkpoint.DisposeAsync();
        _lock.Dispose();
    }
}
