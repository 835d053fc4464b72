namespace SwanLab.Emulator;

/// <summary>
/// What uploads wrote, live (counters only grow). A duplicate is an item for a (run, key, step) — or (run, log epoch) —
/// that was already stored: the store keeps the later one, the counter shows that a client sent it twice.
/// </summary>
public sealed class EmulatorWriteCounters
{
    private long _projectsCreated;
    private long _experimentsCreated;
    private long _experimentsResumed;
    private long _metricRequests;
    private long _pointsStored;
    private long _duplicateSteps;
    private long _logLinesStored;
    private long _duplicateLogLines;
    private long _mediaStepsStored;
    private long _duplicateMediaSteps;
    private long _mediaFilesUploaded;

    internal void CountProjectCreated() => Interlocked.Increment(ref _projectsCreated);

    internal void CountExperimentCreated() => Interlocked.Increment(ref _experimentsCreated);

    internal void CountExperimentResumed() => Interlocked.Increment(ref _experimentsResumed);

    internal void CountMetricRequest() => Interlocked.Increment(ref _metricRequests);

    internal void CountPoint(bool isNew) => Interlocked.Increment(ref isNew ? ref _pointsStored : ref _duplicateSteps);

    internal void CountLogLine(bool isNew) => Interlocked.Increment(ref isNew ? ref _logLinesStored : ref _duplicateLogLines);

    internal void CountMediaStep(bool isNew) => Interlocked.Increment(ref isNew ? ref _mediaStepsStored : ref _duplicateMediaSteps);

    internal void CountMediaFile() => Interlocked.Increment(ref _mediaFilesUploaded);

    /// <summary>The counters at one moment.</summary>
    public EmulatorWriteStats Snapshot() => new(
        Interlocked.Read(ref _projectsCreated),
        Interlocked.Read(ref _experimentsCreated),
        Interlocked.Read(ref _experimentsResumed),
        Interlocked.Read(ref _metricRequests),
        Interlocked.Read(ref _pointsStored),
        Interlocked.Read(ref _duplicateSteps),
        Interlocked.Read(ref _logLinesStored),
        Interlocked.Read(ref _duplicateLogLines),
        Interlocked.Read(ref _mediaStepsStored),
        Interlocked.Read(ref _duplicateMediaSteps),
        Interlocked.Read(ref _mediaFilesUploaded));
}

/// <summary>Write counters at one moment (see <see cref="EmulatorWriteCounters"/>).</summary>
/// <param name="ProjectsCreated">Projects created (201) by any of the three create routes.</param>
/// <param name="ExperimentsCreated">Experiments created (201).</param>
/// <param name="ExperimentsResumed">Experiment creates answered 200 (the cuid existed in that project).</param>
/// <param name="MetricRequests"><c>POST /house/metrics</c> requests that were stored (any type).</param>
/// <param name="PointsStored">Scalar points stored at a (run, key, step) not seen before.</param>
/// <param name="DuplicateSteps">Scalar items received for a (run, key, step) already stored.</param>
/// <param name="LogLinesStored">Log lines stored at an epoch not seen before.</param>
/// <param name="DuplicateLogLines">Log lines received for an epoch already stored.</param>
/// <param name="MediaStepsStored">Media items (one key, one step) stored at a step not seen before.</param>
/// <param name="DuplicateMediaSteps">Media items received for a (run, key, step) already stored.</param>
/// <param name="MediaFilesUploaded">Files PUT to media presigned URLs (repeated PUTs of one object count each time).</param>
public sealed record EmulatorWriteStats(
    long ProjectsCreated,
    long ExperimentsCreated,
    long ExperimentsResumed,
    long MetricRequests,
    long PointsStored,
    long DuplicateSteps,
    long LogLinesStored,
    long DuplicateLogLines,
    long MediaStepsStored,
    long DuplicateMediaSteps,
    long MediaFilesUploaded);
