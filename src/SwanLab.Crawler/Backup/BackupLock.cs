namespace SwanLab.Crawler.Backup;

/// <summary>
/// Keeps two exports from writing into the same backup folder at once (two checkpoint writers would interleave).
/// Holds an exclusive lock on DIR/.swanlab-crawler/lock for its lifetime; the OS drops it when the process dies, so a
/// crash never leaves the folder locked.
/// </summary>
public sealed class BackupLock : IDisposable
{
    public const string FileName = "lock";

    private readonly FileStream _file;

    private BackupLock(FileStream file) => _file = file;

    /// <exception cref="BackupInUseException">Another process holds the folder.</exception>
    public static BackupLock Acquire(BackupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(layout.StateDirectory);
        var path = Path.Combine(layout.StateDirectory, FileName);
        try
        {
            // FileShare.None is an exclusive lock (flock on Unix, a share-mode lock on Windows).
            return new BackupLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new BackupInUseException(
                $"Another swanlab-crawler is writing into '{layout.Root}'. Wait for it to finish or stop it; the next export resumes.", e);
        }
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>The backup folder is locked by another running export.</summary>
public sealed class BackupInUseException(string message, Exception inner) : IOException(message, inner);
