using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwanLab.Crawler.Backup;

/// <summary>
/// Keeps two commands that change a backup (export, and import which records its progress there) from working in
/// the same folder at once: two checkpoint writers would interleave their lines.
/// </summary>
/// <remarks>
/// <para>Mutual exclusion is an OS lock (flock on Unix, a share-mode lock on Windows) held on
/// <c>DIR/.swanlab-crawler/lock</c> for the holder's lifetime. The kernel takes it away when the process dies, even
/// by <c>kill -9</c>, so a killed export's lock is taken over by the next command atomically, with no check-then-write
/// race and no way for a reused pid to fool it. The lock file itself is never deleted (deleting it would let two
/// processes lock two different files).</para>
/// <para>Who holds it is recorded in <c>DIR/.swanlab-crawler/lock.json</c> (pid, the process's own start time, host,
/// command, since, a random token), written atomically (temp + rename) by the holder only after it has the OS lock,
/// and removed when it lets go. It serves the "in use by pid N since ..." message and lets read-only commands
/// (<c>status</c>, <c>verify</c>), which take no lock, say that a writer is running: a record counts as running only
/// when its pid is alive on this host <em>and</em> that process started when the record says (a pid reused by
/// another process does not count). A record left by a killed process is simply replaced.</para>
/// <para>Where the OS does not enforce the lock (some network file systems, or DOTNET_SYSTEM_IO_DISABLEFILELOCKING),
/// the record is the lock: a live holder refuses the newcomer, a dead one is replaced, and the newcomer re-reads the
/// record after writing it and backs off if another process's token is there. That narrows, but cannot close, the
/// window between two processes starting in the same instant.</para>
/// </remarks>
public sealed class BackupLock : IDisposable
{
    public const string FileName = "lock";
    public const string OwnerFileName = "lock.json";

    private readonly FileStream _file;
    private readonly string _ownerPath;
    private bool _disposed;

    private BackupLock(FileStream file, string ownerPath, LockOwner owner)
    {
        _file = file;
        _ownerPath = ownerPath;
        Owner = owner;
    }

    /// <summary>This process's record, as written to lock.json.</summary>
    public LockOwner Owner { get; }

    /// <summary>Takes the folder for <paramref name="command"/> ("export", "import", ...), creating the state folder.</summary>
    /// <exception cref="BackupInUseException">Another live process holds the folder.</exception>
    public static BackupLock Acquire(BackupLayout layout, string command)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        Directory.CreateDirectory(layout.StateDirectory);
        var lockPath = Path.Combine(layout.StateDirectory, FileName);
        var ownerPath = OwnerPath(layout);
        FileStream file;
        try
        {
            file = OpenExclusive(lockPath);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new BackupInUseException(layout, ReadOwner(layout), e);
        }

        try
        {
            var osLockEnforced = !CanOpenExclusive(lockPath);
            if (!osLockEnforced && ReadOwner(layout) is { } existing && existing.IsRunning() && !existing.IsThisProcess)
                throw new BackupInUseException(layout, existing, null);
            var owner = LockOwner.ForThisProcess(command);
            WriteOwner(layout, ownerPath, owner);
            if (!osLockEnforced && ReadOwner(layout) is { } after && after.Token != owner.Token)
                throw new BackupInUseException(layout, after, null);
            return new BackupLock(file, ownerPath, owner);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The holder's record, or null when there is none (or it cannot be read). It may be stale.</summary>
    public static LockOwner? ReadOwner(BackupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        try
        {
            var path = OwnerPath(layout);
            return File.Exists(path) ? LockOwner.Parse(File.ReadAllBytes(path)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process writing into the folder right now, if any (read-only commands use this; no lock taken).</summary>
    public static LockOwner? RunningWriter(BackupLayout layout) =>
        ReadOwner(layout) is { } owner && owner.IsRunning() && !owner.IsThisProcess ? owner : null;

    /// <summary>Removes the record (if it is still ours), then lets go of the OS lock.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (LockOwner.Parse(File.ReadAllBytes(_ownerPath)) is { } current && current.Token == Owner.Token)
                File.Delete(_ownerPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A record left behind names a process that is gone; the next holder replaces it.
        }
        _file.Dispose();
    }

    private static string OwnerPath(BackupLayout layout) => Path.Combine(layout.StateDirectory, OwnerFileName);

    // FileShare.None is the exclusive OS lock; the file is opened, never truncated or deleted.
    private static FileStream OpenExclusive(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    /// <summary>Whether a second exclusive open succeeds while we hold one: then the OS does not enforce the lock.</summary>
    private static bool CanOpenExclusive(string path)
    {
        try
        {
            using var second = OpenExclusive(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void WriteOwner(BackupLayout layout, string ownerPath, LockOwner owner)
    {
        var temp = Path.Combine(layout.StateDirectory, AtomicFile.NewTempName());
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(owner.ToBytes());
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, ownerPath, overwrite: true);
            AtomicFile.FsyncDirectory(layout.StateDirectory);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary>Who holds a backup folder: what lock.json records.</summary>
/// <param name="ProcessStartedUtc">When the holding process started, so a reused pid is not taken for the holder.</param>
public sealed record LockOwner(int Pid, string Host, string Command, DateTimeOffset SinceUtc, DateTimeOffset? ProcessStartedUtc,
    string Token)
{
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    public static LockOwner ForThisProcess(string command)
    {
        using var self = Process.GetCurrentProcess();
        return new LockOwner(Environment.ProcessId, Environment.MachineName, command,
            DateTimeOffset.UtcNow, StartTimeOf(self), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
    }

    /// <summary>Recorded on this machine, so <see cref="IsRunning"/> can really check the process.</summary>
    public bool IsOnThisHost => string.Equals(Host, Environment.MachineName, StringComparison.Ordinal);

    public bool IsThisProcess => Pid == Environment.ProcessId && Host == Environment.MachineName
                                 && StartMatches(ProcessStartedUtc, StartTimeOfCurrent());

    /// <summary>
    /// True when the pid is alive on this host and started when the record says. A record from another host cannot be
    /// checked from here and counts as running.
    /// </summary>
    public bool IsRunning()
    {
        if (!IsOnThisHost) return true;
        try
        {
            using var process = Process.GetProcessById(Pid);
            if (process.HasExited) return false;
            return StartMatches(ProcessStartedUtc, StartTimeOf(process));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>"pid 1234 since 2026-12-04 19:05:33Z (swanlab-crawler export on host X)".</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"pid {Pid} since {SinceUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({BackupInfo.ToolName} {Command} on host {Host})");

    public byte[] ToBytes() => CanonicalJson.Serialize(new JsonObject
    {
        ["pid"] = Pid,
        ["host"] = Host,
        ["command"] = Command,
        ["since"] = SinceUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        ["processStartedAt"] = ProcessStartedUtc?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        ["token"] = Token,
    });

    /// <summary>Null for anything that is not a complete record.</summary>
    public static LockOwner? Parse(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            DateTimeOffset? started = r.TryGetProperty("processStartedAt", out var s) && s.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(s.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                : null;
            return new LockOwner(r.GetProperty("pid").GetInt32(), r.GetProperty("host").GetString()!,
                r.GetProperty("command").GetString()!,
                DateTimeOffset.Parse(r.GetProperty("since").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                started, r.GetProperty("token").GetString()!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static bool StartMatches(DateTimeOffset? recorded, DateTimeOffset? actual) =>
        recorded is null || actual is null || (recorded.Value - actual.Value).Duration() <= StartTimeTolerance;

    private static DateTimeOffset? StartTimeOfCurrent()
    {
        using var self = Process.GetCurrentProcess();
        return StartTimeOf(self);
    }

    private static DateTimeOffset? StartTimeOf(Process process)
    {
        try
        {
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}

/// <summary>The backup folder is held by another running command (exit 2); the message names it.</summary>
public sealed class BackupInUseException(BackupLayout layout, LockOwner? owner, Exception? inner)
    : IOException(
        $"'{layout.Root}' is in use by {(owner is null ? "another swanlab-crawler process" : owner.Describe())}. " +
        "Wait for it to finish (or stop it), then run the command again." +
        (owner is { IsOnThisHost: false }
            ? $" This host cannot see processes on {owner.Host}: if that one is gone, delete {Path.Combine(layout.StateDirectory, BackupLock.OwnerFileName)}."
            : ""), inner)
{
    public LockOwner? Owner { get; } = owner;
}
