using System.Globalization;
using System.Text;
using SwanLab.Crawler.Backup;

namespace SwanLab.Crawler.Cli.Output;

/// <summary>
/// DIR/.swanlab-crawler/crawler.log: one timestamped line per event worth reading the next morning (start, sign-in,
/// every retry, 429 and failed run, the outcome). Every line passes the <see cref="Redactor"/>. The file rotates at
/// <see cref="MaxBytes"/> into crawler.log.1 .. .3. Lines are kept in memory until DIR's private folder exists, so a
/// command that fails before it writes anything never creates a folder just for its log.
/// </summary>
internal sealed class CrawlerLog : IDisposable
{
    public const string FileName = "crawler.log";
    public const long MaxBytes = 4 * 1024 * 1024;
    public const int KeptFiles = 3;

    readonly string directory;
    readonly Redactor redactor;
    readonly TimeProvider clock;
    readonly long maxBytes;
    readonly Lock gate = new();
    readonly List<string> pending = [];
    StreamWriter? writer;
    long written;

    public CrawlerLog(string backupFolder, Redactor redactor, TimeProvider? clock = null, long maxBytes = MaxBytes)
    {
        directory = new BackupLayout(backupFolder).StateDirectory;
        this.redactor = redactor;
        this.clock = clock ?? TimeProvider.System;
        this.maxBytes = maxBytes;
    }

    public string FilePath => Path.Combine(directory, FileName);

    public void Info(string message) => Write("INFO", message);
    public void Warn(string message) => Write("WARN", message);
    public void Error(string message) => Write("ERROR", message);

    public void Write(string level, string message)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{clock.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {level,-5} {redactor.Redact(message).ReplaceLineEndings(" | ")}");
        lock (gate)
        {
            if (writer is null && !TryOpen())
            {
                pending.Add(line);
                return;
            }
            WriteLine(line);
        }
    }

    bool TryOpen()
    {
        if (!Directory.Exists(directory))
            return false;
        try
        {
            if (File.Exists(FilePath) && new FileInfo(FilePath).Length >= maxBytes)
                Rotate();
            writer = new StreamWriter(new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite),
                new UTF8Encoding(false)) { AutoFlush = true };
            written = writer.BaseStream.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log is a diagnostic aid: a folder it cannot be written to must not fail the backup.
            return false;
        }
        foreach (var line in pending)
            WriteLine(line);
        pending.Clear();
        return true;
    }

    void WriteLine(string line)
    {
        try
        {
            writer!.WriteLine(line);
            written += Encoding.UTF8.GetByteCount(line) + 1;
            if (written < maxBytes)
                return;
            writer.Dispose();
            writer = null;
            Rotate();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            writer?.Dispose();
            writer = null;
        }
    }

    void Rotate()
    {
        for (var i = KeptFiles - 1; i >= 1; i--)
        {
            var from = $"{FilePath}.{i}";
            if (File.Exists(from))
                File.Move(from, $"{FilePath}.{i + 1}", overwrite: true);
        }
        File.Move(FilePath, $"{FilePath}.1", overwrite: true);
    }

    public void Dispose()
    {
        lock (gate)
        {
            writer?.Dispose();
            writer = null;
        }
    }
}
