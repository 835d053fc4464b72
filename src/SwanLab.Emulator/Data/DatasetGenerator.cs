using System.Globalization;
using System.Text.Json.Nodes;

namespace SwanLab.Emulator.Data;

/// <summary>
/// Builds the dataset from (seed, size) alone: one PRNG consumed in a fixed order, timestamps from a fixed base,
/// metric values computed on demand. The same inputs therefore give the same bytes on every machine.
/// </summary>
internal sealed class DatasetGenerator
{
    private static readonly DateTimeOffset BaseTime = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly EmulatorOptions _options;
    private readonly Rng _rng;
    private readonly EmulatorDataset _dataset;
    private readonly int _points;
    private ulong _runOrdinal;
    private int _projectOrdinal;

    private DatasetGenerator(EmulatorOptions options)
    {
        _options = options;
        _rng = new Rng(Rng.Hash((ulong)(uint)options.Seed, (ulong)options.Size + 17));
        _dataset = new EmulatorDataset(options.Seed, options.Size,
            new EmulatorUser("alice", "Alice Zhang 🦢", "alice@example.com") { Bio = "ML 研究者 🔬", Institution = "Swan University" });
        _points = options.PointsPerKey ?? options.Size switch
        {
            DatasetSize.Tiny => 50,
            DatasetSize.Demo => 200,
            _ => 5000,
        };
    }

    public static EmulatorDataset Generate(EmulatorOptions options)
    {
        var generator = new DatasetGenerator(options);
        generator.Build();
        return generator._dataset;
    }

    private void Build()
    {
        var personal = new EmulatorWorkspace { Username = "alice", Name = "Alice Zhang 🦢", Type = "PERSON", Comment = "" };
        var team = new EmulatorWorkspace
        {
            Username = "aurora-lab", Name = "Aurora Lab 极光", Type = "TEAM", Role = "OWNER", Comment = "Shared research — 共享研究 ✨",
        };
        _dataset.AddWorkspace(personal);
        _dataset.AddWorkspace(team);
        _dataset.AddUser(new EmulatorUser("bob", "Bob", "bob@example.com"));
        _dataset.AddUser(new EmulatorUser("carol", "Carol Ñúñez", "carol@example.com"));
        if (_options.Size == DatasetSize.Empty)
        {
            // An import target: the account and its workspaces exist, nothing else (--huge-points is ignored).
            return;
        }

        // The awkward core exists at every size.
        var mnist = AddProject(personal, "mnist-baseline", "Baseline CNN on MNIST — 基线实验 🚀", ["baseline", "cv"]);
        var root = AddRun(mnist, new RunSpec("baseline-lr0.01 🚀", "FINISHED") { Full = true, Cluster = "lr-sweep", Labels = ["baseline", "cnn"], BatchSize = 64 });
        AddRun(mnist, new RunSpec("ablation αβ", "CRASHED") { Cluster = "lr-sweep", Labels = ["ablation"], BatchSize = 32 });
        AddRun(mnist, new RunSpec("empty-run", "RUNNING") { Empty = true });

        var release = AddProject(personal, "v1.2.final", "Release candidate ✨ with dots in the name", []);
        AddRun(release, new RunSpec("rc-1", "ABORTED") { BatchSize = 128 });
        AddRun(release, new RunSpec("baseline-lr0.01 🚀 (clone)", "FINISHED") { CloneOf = root, Labels = ["baseline", "cnn"], BatchSize = 64 });

        var shared = AddProject(team, "shared-models", "Team models 团队模型 🤝", ["nlp"], groupKeys: ["cluster"]);
        AddRun(shared, new RunSpec("bert-small", "FINISHED") { Cluster = "nlp", Job = "pretrain", User = "bob" });
        AddRun(shared, new RunSpec("bert-base", "RUNNING") { Cluster = "nlp", Job = "finetune" });
        AddRun(shared, new RunSpec("resnet-50", "FINISHED") { Cluster = "vision", Job = "train", User = "bob" });
        AddRun(shared, new RunSpec("no-cluster", "CRASHED"));

        if (_options.Size == DatasetSize.Demo)
        {
            BuildDemo(personal, team);
        }
        else if (_options.Size == DatasetSize.Large)
        {
            BuildLarge(personal);
        }

        if (_options.HugeSeriesPoints is { } huge && huge > 0)
        {
            var project = AddProject(personal, "huge-series", "One run with one very long key", []);
            AddRun(project, new RunSpec("huge", "FINISHED") { HugePoints = huge });
        }
    }

    private void BuildDemo(EmulatorWorkspace personal, EmulatorWorkspace team)
    {
        string[] states = ["FINISHED", "FINISHED", "RUNNING", "CRASHED", "ABORTED"];
        for (var p = 1; p <= 22; p++)
        {
            var name = "sweep-" + p.ToString("D2", CultureInfo.InvariantCulture);
            var project = AddProject(personal, name, p % 5 == 0 ? $"Sweep {p} — 超参数搜索 🔍" : $"Hyper-parameter sweep {p}", p % 3 == 0 ? ["sweep"] : []);
            var runs = p == 1 ? 4 : 2;
            for (var r = 0; r < runs; r++)
            {
                AddRun(project, new RunSpec($"{name}-trial-{r}", states[_rng.Next(states.Length)])
                {
                    Cluster = r % 2 == 0 ? "even" : "odd",
                    Pinned = p == 1 && r == 3,
                    Labels = r == 0 ? ["first"] : [],
                    BatchSize = r % 2 == 0 ? 32 : 64,
                });
            }
        }

        var vision = AddProject(team, "vision-lab", "Vision experiments, grouped by cluster then job 👁️", ["cv"], groupKeys: ["cluster", "job"]);
        string[] clusters = ["resnet", "resnet", "vit", "vit"];
        string[] jobs = ["train", "eval", "train", "eval"];
        for (var r = 0; r < 4; r++)
        {
            AddRun(vision, new RunSpec($"vision-{r}", states[r]) { Cluster = clusters[r], Job = jobs[r], User = r % 2 == 0 ? "alice" : "bob" });
        }

        AddProject(team, "old.archive", "No runs yet", []);
    }

    private void BuildLarge(EmulatorWorkspace personal)
    {
        var runs = _options.Runs ?? 2000;
        var keys = Math.Max(1, _options.KeysPerRun ?? 8);
        string[] states = ["FINISHED", "FINISHED", "FINISHED", "RUNNING", "CRASHED", "ABORTED"];
        EmulatorProject? project = null;
        for (var r = 0; r < runs; r++)
        {
            if (r % 100 == 0)
            {
                project = AddProject(personal, "bench-" + (r / 100).ToString("D3", CultureInfo.InvariantCulture), "Benchmark project", []);
            }

            AddRun(project!, new RunSpec("bench-run-" + r.ToString("D5", CultureInfo.InvariantCulture), states[r % states.Length])
            {
                KeyCount = keys,
                Cluster = "c" + (r % 4).ToString(CultureInfo.InvariantCulture),
                BatchSize = 16 << (r % 4),
                LogCount = 20,
            });
        }
    }

    private EmulatorProject AddProject(EmulatorWorkspace workspace, string name, string description, IReadOnlyList<string> labels,
        IReadOnlyList<string>? groupKeys = null)
    {
        var created = BaseTime.AddDays(_projectOrdinal++).AddMinutes(_rng.Next(600));
        var project = new EmulatorProject
        {
            Cuid = _rng.NextCuid(),
            Name = name,
            Workspace = workspace,
            Description = description,
            Visibility = _rng.Chance(0.3) ? "PUBLIC" : "PRIVATE",
            CreatedAt = created,
            UpdatedAt = created.AddHours(1 + _rng.Next(200)),
            Labels = labels,
            DefaultGroupKeys = groupKeys ?? [],
            Version = _options.Legacy ? null : 1,
        };
        _dataset.AddProject(project);
        return project;
    }

    private sealed record RunSpec(string Name, string State)
    {
        public bool Full { get; init; }
        public bool Empty { get; init; }
        public EmulatorRun? CloneOf { get; init; }
        public string Cluster { get; init; } = "";
        public string Job { get; init; } = "train";
        public string User { get; init; } = "alice";
        public IReadOnlyList<string> Labels { get; init; } = [];
        public int BatchSize { get; init; } = 32;
        public bool Pinned { get; init; }
        public int? KeyCount { get; init; }
        public int? LogCount { get; init; }
        public int? HugePoints { get; init; }
    }

    private EmulatorRun AddRun(EmulatorProject project, RunSpec spec)
    {
        var ordinal = _runOrdinal++;
        var created = project.CreatedAt.AddHours(1 + ordinal % 24).AddMinutes(_rng.Next(60)).AddMilliseconds(_rng.Next(1000));
        var cuid = _rng.NextCuid();
        var finished = spec.State == "RUNNING" ? (DateTimeOffset?)null : created.AddMinutes(5 + _rng.Next(300));
        var run = new EmulatorRun
        {
            Cuid = cuid,
            Slug = cuid,
            Name = spec.Name,
            Project = project,
            Description = spec.Full ? "First run — 第一次运行 with emoji 🎉 and \"quotes\"" : (_rng.Chance(0.5) ? "" : "trial " + spec.Name),
            State = spec.State,
            Labels = spec.Labels,
            Colors = [Color(), Color()],
            Cluster = spec.Cluster,
            Job = spec.Job,
            Pinned = spec.Pinned,
            CreatedBy = spec.User,
            CreatedAt = created,
            FinishedAt = finished,
            FlagId = _rng.NextCuid(),
            RootExpId = spec.CloneOf?.Cuid,
            RootProId = spec.CloneOf?.Project.Cuid,
            Config = Wrap(RawConfig(spec)),
            Metadata = Metadata(),
            Requirements = spec.Empty ? "" : "numpy==1.26.4\ntorch==2.3.1\nswanlab==0.7.8\npandas==2.2.2\n",
            Conda = spec.Empty ? "" : "name: swan\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n",
        };
        run.Logs = LogStream.Empty;

        _dataset.AddRun(run);
        if (spec.Empty || spec.CloneOf is not null)
        {
            return run;
        }

        var identity = Rng.Hash((ulong)(uint)_options.Seed, ordinal + 1000);
        var startMs = created.ToUnixTimeMilliseconds();
        if (spec.HugePoints is { } huge)
        {
            run.ScalarList.Add(new GeneratedScalarSeries("huge/loss", Rng.Hash(identity, 0), 0, 1, huge, startMs, MetricShape.Loss, false));
            return run;
        }

        var points = _points;
        if (spec.KeyCount is { } keyCount)
        {
            string[] named = ["train/loss", "val/acc", "train/grad norm", "lr"];
            for (var k = 0; k < keyCount; k++)
            {
                var key = k < named.Length ? named[k] : "metric_" + k.ToString(CultureInfo.InvariantCulture);
                var shape = (MetricShape)(k % 4);
                run.ScalarList.Add(new GeneratedScalarSeries(key, Rng.Hash(identity, (ulong)k), 0, 1, points, startMs, shape, k == 2));
            }
        }
        else
        {
            run.ScalarList.Add(new GeneratedScalarSeries("train/loss", Rng.Hash(identity, 0), 0, 1, points, startMs, MetricShape.Loss, false));
            run.ScalarList.Add(new GeneratedScalarSeries("val/acc", Rng.Hash(identity, 1), 0, 1, points, startMs, MetricShape.Accuracy, false));
            if (spec.Full || ordinal % 3 == 0)
            {
                run.ScalarList.Add(new GeneratedScalarSeries("train/grad norm", Rng.Hash(identity, 2), 0, 1, points, startMs, MetricShape.Oscillating, true));
            }

            if (spec.Full || ordinal % 4 == 1)
            {
                // Logged only every 10th step.
                run.ScalarList.Add(new GeneratedScalarSeries("eval/sparse metric", Rng.Hash(identity, 3), 0, 10, Math.Max(1, points / 10), startMs, MetricShape.Loss, false));
            }

            if (spec.Full || ordinal % 2 == 0)
            {
                run.ScalarList.Add(new GeneratedScalarSeries("__swanlab__.cpu.pct", Rng.Hash(identity, 4), 0, 1, points, startMs, MetricShape.Percent, false));
            }
        }

        if (spec.Full || (spec.KeyCount is null && ordinal % 5 == 0))
        {
            AddMedia(run, identity, "samples/image", "image", "png", points, withCaptions: true);
        }

        if (spec.Full)
        {
            AddMedia(run, identity, "samples/text", "text", "txt", points, withCaptions: false);
        }

        var logCount = _options.LogLinesPerRun ?? spec.LogCount ?? (_options.Size == DatasetSize.Demo ? 60 : 12);
        run.Logs = GeneratedLogs(run, identity, logCount);
        return run;
    }

    private static void AddMedia(EmulatorRun run, ulong identity, string key, string medium, string extension, int points, bool withCaptions)
    {
        var series = run.GetOrAddMedia(key);
        var stride = Math.Max(1, points / 4);
        for (long step = 0; step < points; step += stride)
        {
            var items = new List<MediaItem>();
            for (var i = 0; i < 2; i++)
            {
                var hash = Rng.Hash(identity, (ulong)step, (ulong)i + 77).ToString("x16", CultureInfo.InvariantCulture)[..8];
                var path = $"media/{medium}/{step.ToString("D3", CultureInfo.InvariantCulture)}-{hash}.{extension}";
                string? caption = withCaptions && i == 0 ? $"cat 🐱 step {step.ToString(CultureInfo.InvariantCulture)}" : null;
                items.Add(new MediaItem(path, caption));
            }

            series.Put(new MediaStep(step, items));
        }
    }

    private static LogStream GeneratedLogs(EmulatorRun run, ulong identity, int count)
    {
        var crashed = run.State == "CRASHED";
        var start = run.CreatedAt;
        return new LogStream(count, i =>
        {
            var epoch = i + 1;
            var ts = start.AddSeconds(i);
            if (crashed && i == count - 1)
            {
                return new LogLine(epoch, "ERROR", "RuntimeError: CUDA out of memory 💥 (tried to allocate 2.00 GiB)", ts);
            }

            if (i % 7 == 6)
            {
                return new LogLine(epoch, "WARN", "warning: learning rate schedule is flat — 学习率 ⚠️", ts);
            }

            var loss = Math.Round(2.0 * Math.Exp(-i / 10.0) + (Rng.Unit(Rng.Hash(identity, (ulong)i, 999)) * 0.01), 4);
            return new LogLine(epoch, "INFO", $"epoch {epoch.ToString(CultureInfo.InvariantCulture)}: loss={loss.ToString("R", CultureInfo.InvariantCulture)} ✓", ts);
        });
    }

    private string Color() => "#" + _rng.Next(0x1000000).ToString("x6", CultureInfo.InvariantCulture);

    private JsonObject RawConfig(RunSpec spec)
    {
        if (spec.Empty)
        {
            return new JsonObject();
        }

        var lr = Math.Round(Math.Pow(10, -1 - (3 * _rng.NextDouble())), 6);
        var config = new JsonObject
        {
            ["learning_rate"] = lr,
            ["batch_size"] = spec.BatchSize,
            ["epochs"] = 10 + _rng.Next(90),
            ["optimizer"] = _rng.Chance(0.5) ? "adam" : "sgd",
            ["use_amp"] = _rng.Chance(0.5),
            ["seed"] = _rng.Next(10000),
            ["dropout"] = null,
            ["layers"] = new JsonArray(64, 128, 256),
            ["model"] = new JsonObject
            {
                ["name"] = _rng.Chance(0.5) ? "resnet" : "vit",
                ["encoder"] = new JsonObject
                {
                    ["layers"] = 2 + _rng.Next(10),
                    ["attention"] = new JsonObject
                    {
                        ["heads"] = 4 << _rng.Next(3),
                        ["dropout"] = new JsonObject { ["p"] = 0.1, ["kind"] = "bernoulli" },
                    },
                },
            },
        };
        if (spec.Full)
        {
            config["描述"] = "学习率 warm-up 🚀";
            config["data path"] = "/data/mnist train/v1.2";
        }

        return config;
    }

    /// <summary>The server's stored shape: each top-level key becomes {value, desc, sort}.</summary>
    internal static JsonObject Wrap(JsonObject raw)
    {
        var wrapped = new JsonObject();
        var sort = 0;
        foreach (var (key, value) in raw)
        {
            wrapped[key] = new JsonObject { ["value"] = value?.DeepClone(), ["desc"] = "", ["sort"] = sort++ };
        }

        return wrapped;
    }

    private JsonObject Metadata() => new()
    {
        ["hardware"] = new JsonObject
        {
            ["cpu"] = new JsonObject { ["brand"] = "AMD EPYC 7B13", ["cores"] = 8 << _rng.Next(3) },
            ["memory"] = new JsonObject { ["total_gb"] = 32 << _rng.Next(3) },
            ["gpu"] = new JsonObject { ["nvidia"] = new JsonObject { ["count"] = 1 + _rng.Next(8), ["type"] = new JsonArray("NVIDIA A100-SXM4-40GB") } },
        },
        ["runtime"] = new JsonObject
        {
            ["python"] = new JsonObject { ["version"] = "3.11.9", ["executable"] = "/usr/bin/python3" },
            ["os"] = "Linux-6.5.0-x86_64",
            ["hostname"] = "node-" + _rng.Next(64).ToString(CultureInfo.InvariantCulture),
        },
        ["git"] = new JsonObject { ["branch"] = "main", ["commit"] = _rng.NextUInt64().ToString("x16", CultureInfo.InvariantCulture) },
    };
}
