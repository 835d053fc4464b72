// The offline browser of a SwanLab Crawler backup. Data comes from data/*.js files (SWV.put), loaded by script tags
// because browsers refuse fetch() of file:// URLs. Every string from the backup goes into the DOM as text, never HTML.
(function () {
  "use strict";
  var data = {}, waiting = {}, charts = [];
  var PALETTE = ["#528d59", "#587ad7", "#e0855d", "#8c63c9", "#d6a228", "#3aa1b6", "#c94f7c", "#6d8f2b", "#7a6a5a", "#2f6fd0"];
  var prefs = { x: "step", log: false, smooth: 0, cols: null };

  window.SWV = {
    put: function (name, value) {
      data[name] = value;
      (waiting[name] || []).forEach(function (f) { f(); });
      delete waiting[name];
    }
  };

  function need(names, done) {
    var left = names.filter(function (n) { return !(n in data); });
    if (left.length === 0) { done(); return; }
    var count = left.length;
    left.forEach(function (n) {
      (waiting[n] = waiting[n] || []).push(function () { if (--count === 0) done(); });
      if (!document.querySelector('script[data-swv="' + n + '"]')) {
        var s = document.createElement("script");
        s.src = "data/" + n + ".js";
        s.setAttribute("data-swv", n);
        s.onerror = function () { window.SWV_ERRORS.push("missing data file data/" + n + ".js"); };
        document.head.appendChild(s);
      }
    });
  }

  // --- tiny DOM helpers (text only) ---
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function fmtNum(v) {
    if (v == null) return "";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(4) : String(+v.toPrecision(6));
  }
  function fmtDate(s) { return s ? s.replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }
  function duration(r) {
    if (!r.createdAt || !r.finishedAt) return null;
    var ms = Date.parse(r.finishedAt) - Date.parse(r.createdAt);
    return isFinite(ms) ? ms : null;
  }
  function fmtDuration(ms) {
    if (ms == null) return "";
    var s = Math.round(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + (s % 60) + "s";
  }
  function cellValue(v) { return v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v); }
  function runLink(r) { return el("a", { href: "#/r/" + r.i, text: r.name }); }
  function projectLink(p) { return el("a", { href: "#/p/" + p.i, text: p.workspace + "/" + p.name }); }

  function status(fields) {
    var s = document.getElementById("swv-status");
    Object.keys(fields).forEach(function (k) { s.setAttribute("data-" + k, String(fields[k])); });
    s.setAttribute("data-errors", String(window.SWV_ERRORS.length));
    s.setAttribute("data-error-text", window.SWV_ERRORS.join(" | "));
    s.setAttribute("data-load-ms", String(Math.round(performance.now())));
  }

  // --- sortable, filterable table ---
  function table(columns, rows, opts) {
    var sortCol = opts && opts.sort != null ? opts.sort : -1, desc = false, filter = "";
    var tbody = el("tbody"), head = el("tr"), info = el("span", { cls: "muted" });
    var wrap = el("div", { cls: "tablewrap" }, [el("table", null, [el("thead", null, [head]), tbody])]);
    var search = el("input", { type: "search", placeholder: (opts && opts.placeholder) || "Filter…", "aria-label": "Filter" });
    search.addEventListener("input", function () { filter = search.value.toLowerCase(); draw(); });
    columns.forEach(function (c, i) {
      var th = el("th", { text: c.title, title: c.title });
      th.addEventListener("click", function () { if (sortCol === i) desc = !desc; else { sortCol = i; desc = false; } draw(); });
      head.appendChild(th);
    });
    var texts = rows.map(function (r) { return columns.map(function (c) { return cellValue(c.value(r)); }).join("\u0001").toLowerCase() + "\u0001" + ((opts && opts.extra) ? opts.extra(r) : ""); });
    var shown = [];
    function draw() {
      var idx = rows.map(function (_, i) { return i; }).filter(function (i) { return !filter || texts[i].indexOf(filter) >= 0; });
      if (sortCol >= 0) {
        var c = columns[sortCol];
        idx.sort(function (a, b) {
          var x = c.value(rows[a]), y = c.value(rows[b]);
          var r = (x == null) - (y == null);
          if (r === 0 && x != null) r = (typeof x === "number" && typeof y === "number") ? x - y : cellValue(x).localeCompare(cellValue(y));
          return desc ? -r : r;
        });
      }
      Array.prototype.forEach.call(head.children, function (th, i) { th.className = i === sortCol ? "sorted" + (desc ? " desc" : "") : ""; });
      tbody.textContent = "";
      idx.forEach(function (i) {
        var tr = el("tr", { "data-run": rows[i].i });
        columns.forEach(function (c) {
          var v = c.render ? c.render(rows[i]) : c.value(rows[i]);
          var td = el("td", { cls: typeof c.value(rows[i]) === "number" ? "num" : "" });
          if (v instanceof Node) td.appendChild(v); else td.textContent = c.format ? c.format(v) : cellValue(v);
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      shown = idx.map(function (i) { return rows[i]; });
      info.textContent = idx.length + " of " + rows.length + " runs";
      if (opts && opts.onchange) opts.onchange(shown);
    }
    draw();
    return { node: el("div", null, [el("div", { cls: "toolbar" }, [search, info]), wrap]), shown: function () { return shown; }, redraw: draw };
  }

  function baseColumns() {
    return [
      { title: "Name", value: function (r) { return r.name; }, render: runLink },
      { title: "State", value: function (r) { return r.state; }, render: function (r) { return el("span", { cls: "state " + (r.state || ""), text: r.state || "" }); } },
      { title: "Created", value: function (r) { return r.createdAt; }, format: fmtDate },
      { title: "Finished", value: function (r) { return r.finishedAt; }, format: fmtDate },
      { title: "Duration", value: duration, format: fmtDuration },
      { title: "Group", value: function (r) { return r.group; } },
      { title: "Labels", value: function (r) { return r.labels.join(", "); }, render: function (r) { return el("span", null, r.labels.map(function (l) { return el("span", { cls: "label", text: l }); })); } },
      { title: "Job", value: function (r) { return r.job; } },
    ];
  }
  function configText(r) { return Object.keys(r.config).map(function (k) { return k + "=" + cellValue(r.config[k]); }).join(" ").toLowerCase() + " " + r.id.toLowerCase(); }

  // --- charts ---
  function ema(values, w) {
    if (!w) return values;
    var last = 0, weight = 0, out = new Array(values.length);
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v == null || !isFinite(v)) { out[i] = v; continue; }
      last = last * w + (1 - w) * v; weight = weight * w + (1 - w); // debiased like TensorBoard/SwanLab's EMA
      out[i] = last / weight;
    }
    return out;
  }
  function seriesTable(s) {
    var xs = [], ys = [], src = prefs.x === "time" ? s.time : s.step, vals = ema(s.value, prefs.smooth);
    for (var i = 0; i < s.step.length; i++) {
      var x = src[i];
      if (x == null) continue;
      var y = vals[i];
      if (prefs.log && !(y > 0)) y = null;
      xs.push(prefs.x === "time" ? x / 1000 : x); ys.push(y);
    }
    return [xs, ys];
  }
  function sortedUnique(t) { // uPlot.join needs ascending x
    for (var i = 1; i < t[0].length; i++) if (!(t[0][i] > t[0][i - 1])) {
      var order = t[0].map(function (_, k) { return k; }).sort(function (a, b) { return t[0][a] - t[0][b]; });
      var xs = [], ys = [];
      order.forEach(function (k) { if (xs.length === 0 || t[0][k] !== xs[xs.length - 1]) { xs.push(t[0][k]); ys.push(t[1][k]); } });
      return [xs, ys];
    }
    return t;
  }
  function chart(key, lines, width) {
    // lines: [{label, series}]
    var tables = lines.map(function (l) { return sortedUnique(seriesTable(l.series)); });
    var joined = tables.length === 1 ? tables[0] : uPlot.join(tables);
    var opts = {
      width: width, height: 240,
      scales: { x: { time: prefs.x === "time" }, y: prefs.log ? { distr: 3 } : {} },
      legend: { show: lines.length <= 12 },
      cursor: { drag: { x: true, y: false } },
      series: [{ label: prefs.x === "time" ? "time" : "step" }].concat(lines.map(function (l, i) {
        return { label: l.label, stroke: l.color || PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, points: { show: false }, value: function (u, v) { return fmtNum(v); } };
      })),
      axes: [{}, { values: function (u, vs) { return vs.map(fmtNum); }, size: 60 }],
    };
    var total = lines.reduce(function (a, l) { return a + l.series.points; }, 0);
    var drawn = lines.reduce(function (a, l) { return a + l.series.step.length; }, 0);
    var box = el("div", { cls: "chart", "data-key": key, "data-series": lines.length }, [
      el("div", { cls: "title", text: key, title: key }),
      drawn < total ? el("div", { cls: "note", text: "drawn from " + drawn + " of " + total + " points (LTTB); the full series is in the backup" }) : null,
    ]);
    var u = new uPlot(opts, joined, box);
    charts.push(u);
    return box;
  }
  function chartControls(redraw) {
    var x = el("select", { "aria-label": "x axis" }, [el("option", { value: "step", text: "x: step" }), el("option", { value: "time", text: "x: time" })]);
    x.value = prefs.x; x.addEventListener("change", function () { prefs.x = x.value; redraw(); });
    var log = el("input", { type: "checkbox" }); log.checked = prefs.log; log.addEventListener("change", function () { prefs.log = log.checked; redraw(); });
    var sm = el("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(prefs.smooth) });
    var smv = el("span", { text: String(prefs.smooth) });
    sm.addEventListener("change", function () { prefs.smooth = +sm.value; smv.textContent = sm.value; redraw(); });
    return el("div", { cls: "toolbar" }, [x, el("label", null, [log, " log scale"]), el("label", null, ["smoothing (EMA) ", sm, " ", smv])]);
  }
  function drawCharts(container, runs) {
    charts.forEach(function (u) { u.destroy(); }); charts = [];
    container.textContent = "";
    var keys = {};
    runs.forEach(function (r) { Object.keys(data["s" + r.i] || {}).forEach(function (k) { keys[k] = true; }); });
    var full = container.clientWidth || 1200, columns = full > 900 ? 2 : 1;
    var width = Math.max(300, Math.floor((full - 12 * (columns - 1)) / columns) - 14); // box padding and border
    var series = 0;
    Object.keys(keys).sort().forEach(function (k) {
      var lines = [];
      var broken = [];
      runs.forEach(function (r, i) {
        var s = (data["s" + r.i] || {})[k];
        if (s && s.error) broken.push(r.name + ": " + s.error);
        else if (s) lines.push({ label: r.name, series: s, color: PALETTE[i % PALETTE.length] });
      });
      series += lines.length;
      var box = lines.length ? chart(k, lines, width) : el("div", { cls: "chart", "data-key": k }, [el("div", { cls: "title", text: k })]);
      broken.forEach(function (b) { box.appendChild(el("div", { cls: "note", text: "not drawn, unreadable in the backup: " + b })); });
      container.appendChild(box);
    });
    if (charts.length === 0) container.appendChild(el("p", { cls: "muted", text: "No metrics in the backup for these runs." }));
    return { charts: charts.length, series: series };
  }

  // --- trees ---
  function tree(value, depth) {
    if (value == null || typeof value !== "object") return el("span", { cls: "v", text: value === undefined ? "" : JSON.stringify(value) });
    var keys = Array.isArray(value) ? value.map(function (_, i) { return i; }) : Object.keys(value);
    var box = el("div", { cls: "tree" });
    keys.forEach(function (k) {
      var v = value[k];
      if (v != null && typeof v === "object" && Object.keys(v).length > 0) {
        var d = el("details", null, [el("summary", null, [el("span", { cls: "k", text: String(k) }), el("span", { cls: "muted", text: Array.isArray(v) ? " [" + v.length + "]" : " {" + Object.keys(v).length + "}" })]), tree(v, depth + 1)]);
        if (depth < 1) d.open = true;
        box.appendChild(d);
      } else box.appendChild(el("div", { cls: "leaf" }, [el("span", { cls: "k", text: String(k) }), ": ", tree(v, depth + 1)]));
    });
    return box;
  }

  // --- pages ---
  function crumbs(parts) {
    var c = document.getElementById("crumbs"); c.textContent = "";
    parts.forEach(function (p) { c.appendChild(document.createTextNode(" / ")); c.appendChild(p); });
  }

  function home(app) {
    var idx = data.index;
    crumbs([]);
    app.appendChild(el("h1", { text: "Workspaces and projects" }));
    idx.workspaces.forEach(function (ws) {
      var ul = el("ul");
      idx.projects.filter(function (p) { return p.workspace === ws.username; }).forEach(function (p) {
        ul.appendChild(el("li", null, [projectLink(p), el("span", { cls: "muted", text: " — " + p.runs + " runs" + (p.description ? " · " + p.description : "") })]));
      });
      app.appendChild(el("div", { cls: "ws" }, [el("strong", { text: ws.username }), el("span", { cls: "muted", text: (ws.name && ws.name !== ws.username ? " " + ws.name : "") + (ws.type ? " · " + ws.type : "") }), ul]));
    });
    app.appendChild(el("h2", { text: "Every run in the backup" }));
    var cols = baseColumns();
    cols.splice(1, 0, { title: "Project", value: function (r) { return r.workspace + "/" + r.project; }, render: function (r) { return projectLink(idx.projects[r.p]); } });
    cols.push({ title: "Id", value: function (r) { return r.id; } });
    var t = table(cols, idx.runs, { placeholder: "Search runs (name, project, group, label, config, id)…", extra: configText });
    app.appendChild(t.node);
    status({ page: "home", rows: t.shown().length, runs: idx.runs.length, charts: 0, series: 0 });
  }

  function project(app, p) {
    var idx = data.index;
    var runs = idx.runs.filter(function (r) { return r.p === p.i; });
    crumbs([el("span", { text: p.workspace }), projectLink(p)]);
    app.appendChild(el("h1", { text: p.workspace + "/" + p.name }));
    if (p.description) app.appendChild(el("p", { cls: "muted", text: p.description }));
    var configKeys = {}, metricKeys = {};
    runs.forEach(function (r) { Object.keys(r.config).forEach(function (k) { configKeys[k] = true; }); Object.keys(r.last).forEach(function (k) { metricKeys[k] = true; }); });
    configKeys = Object.keys(configKeys); metricKeys = Object.keys(metricKeys).sort();
    var chosen = prefs.cols || configKeys.slice(0, 4);
    var tableBox = el("div"), chartBox = el("div", { cls: "charts" }), shown = runs;
    var picker = el("div", { cls: "cols" }, configKeys.map(function (k) {
      var cb = el("input", { type: "checkbox" }); cb.checked = chosen.indexOf(k) >= 0;
      cb.addEventListener("change", function () { chosen = configKeys.filter(function (c, i) { return picker.children[i].firstChild.checked; }); prefs.cols = chosen; build(); });
      return el("label", null, [cb, " " + k]);
    }));
    function build() {
      var cols = baseColumns();
      chosen.forEach(function (k) { cols.push({ title: k, value: function (r) { return r.config[k]; } }); });
      metricKeys.forEach(function (k) { cols.push({ title: k, value: function (r) { return r.last[k]; }, format: fmtNum }); });
      tableBox.textContent = "";
      var t = table(cols, runs, { placeholder: "Filter runs…", extra: configText, onchange: function (s) { shown = s; if (ready) redraw(); } });
      tableBox.appendChild(t.node);
    }
    var ready = false;
    function redraw() {
      var n = drawCharts(chartBox, shown);
      status({ page: "project", rows: shown.length, runs: runs.length, charts: n.charts, series: n.series });
    }
    app.appendChild(el("h2", { text: "Runs" }));
    if (configKeys.length) app.appendChild(el("details", null, [el("summary", { text: "Config columns" }), picker]));
    app.appendChild(tableBox);
    build();
    app.appendChild(el("h2", { text: "Charts (the filtered runs, overlaid)" }));
    app.appendChild(chartControls(redraw));
    app.appendChild(chartBox);
    need(runs.map(function (r) { return "s" + r.i; }), function () { ready = true; redraw(); });
  }

  function run(app, r) {
    var idx = data.index, p = idx.projects[r.p];
    crumbs([el("span", { text: p.workspace }), projectLink(p), runLink(r)]);
    need(["r" + r.i, "s" + r.i], function () {
      var d = data["r" + r.i];
      app.appendChild(el("h1", { text: r.name }));
      app.appendChild(el("p", { cls: "muted" }, [
        el("span", { cls: "state " + (r.state || ""), text: r.state || "" }),
        " id " + r.id + " · created " + fmtDate(r.createdAt) + (r.finishedAt ? " · finished " + fmtDate(r.finishedAt) + " (" + fmtDuration(duration(r)) + ")" : "") +
        (r.group ? " · group " + r.group : "") + (r.job ? " · job " + r.job : "") + " · folder " + d.folder,
      ]));
      if (r.labels.length) app.appendChild(el("p", null, r.labels.map(function (l) { return el("span", { cls: "label", text: l }); })));
      if (r.description) app.appendChild(el("p", { text: r.description }));

      var others = idx.runs.filter(function (o) { return o.p === r.p && o.i !== r.i; });
      var overlay = [];
      var chartBox = el("div", { cls: "charts" });
      function redraw() {
        var list = [r].concat(others.filter(function (o) { return overlay.indexOf(o.i) >= 0; }));
        need(list.map(function (o) { return "s" + o.i; }), function () {
          var n = drawCharts(chartBox, list);
          status({ page: "run", run: r.i, charts: n.charts, series: n.series, logs: d.logs.length, media: d.media.length });
        });
      }
      app.appendChild(el("h2", { text: "Charts" }));
      app.appendChild(chartControls(redraw));
      if (others.length) app.appendChild(el("details", null, [el("summary", { text: "Overlay other runs of " + p.name }), el("div", { cls: "overlay" }, others.map(function (o) {
        var cb = el("input", { type: "checkbox" });
        cb.addEventListener("change", function () { overlay = cb.checked ? overlay.concat([o.i]) : overlay.filter(function (i) { return i !== o.i; }); redraw(); });
        return el("label", null, [cb, " " + o.name]);
      }))]));
      app.appendChild(chartBox);

      app.appendChild(el("div", { cls: "grid2" }, [
        el("div", null, [el("h2", { text: "Config" }), d.config && Object.keys(d.config).length ? tree(d.config, 0) : el("p", { cls: "muted", text: "none" })]),
        el("div", null, [el("h2", { text: "Metadata" }), d.metadata && Object.keys(d.metadata).length ? tree(d.metadata, 0) : el("p", { cls: "muted", text: "none" })]),
      ]));
      app.appendChild(el("div", { cls: "grid2" }, [
        el("div", null, [el("h2", { text: "Requirements" }), d.requirements ? el("pre", { text: d.requirements }) : el("p", { cls: "muted", text: "none" })]),
        el("div", null, [el("h2", { text: "Conda" }), d.conda ? el("pre", { text: d.conda }) : el("p", { cls: "muted", text: "none" })]),
      ]));

      app.appendChild(el("h2", { text: "Logs (" + d.logs.length + " lines)" }));
      var logSearch = el("input", { type: "search", placeholder: "Search logs…", "aria-label": "Search logs" });
      var logInfo = el("span", { cls: "muted" }), logBox = el("div", { cls: "logs" });
      function drawLogs() {
        var q = logSearch.value.toLowerCase(), shownLines = 0, matched = 0;
        logBox.textContent = "";
        d.logs.forEach(function (l) {
          var line = (l.timestamp ? fmtDate(l.timestamp) + " " : "") + (l.level ? l.level + " " : "") + (l.message == null ? "" : String(l.message));
          if (q && line.toLowerCase().indexOf(q) < 0) return;
          matched++;
          if (shownLines++ < 5000) logBox.appendChild(el("div", { cls: l.level || "", text: line }));
        });
        logInfo.textContent = matched + " of " + d.logs.length + " lines" + (matched > 5000 ? " (first 5000 shown; all are in logs.jsonl)" : "");
      }
      logSearch.addEventListener("input", drawLogs);
      app.appendChild(el("div", { cls: "toolbar" }, [logSearch, logInfo]));
      app.appendChild(logBox);
      drawLogs();

      app.appendChild(el("h2", { text: "Media (" + d.media.length + " files)" }));
      var byKey = {};
      d.media.forEach(function (m) { (byKey[m.key] = byKey[m.key] || []).push(m); });
      Object.keys(byKey).sort().forEach(function (k) {
        app.appendChild(el("h3", { text: k }));
        byKey[k].sort(function (a, b) { return (a.step == null) - (b.step == null) || (a.step - b.step) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0); });
        app.appendChild(el("div", { cls: "media" }, byKey[k].map(function (m) {
          var isImage = /\.(png|jpe?g|gif|webp|svg|bmp)$/i.test(m.name), isAudio = /\.(wav|mp3|ogg|flac)$/i.test(m.name);
          var body = isImage ? el("a", { href: m.href }, [el("img", { src: m.href, alt: m.name, loading: "lazy" })])
            : isAudio ? el("audio", { src: m.href, controls: "" }) : el("a", { href: m.href, text: m.name });
          return el("figure", null, [body, el("figcaption", { text: "step " + (m.step == null ? "?" : m.step) + " · " + m.name })]);
        })));
      });
      redraw();
    });
  }

  function route() {
    var idx = data.index, app = document.getElementById("app");
    charts.forEach(function (u) { u.destroy(); }); charts = [];
    app.textContent = "";
    var src = document.getElementById("source");
    if (idx.backup && idx.backup.source) src.textContent = "from " + idx.backup.source.host + " as " + idx.backup.source.user + (idx.backup.complete === false ? " · INCOMPLETE backup" : "");
    var m = /^#\/([pr])\/(\d+)(?:\?(.*))?$/.exec(location.hash);
    // Chart settings can be linked: #/r/3?x=time&log=1&smooth=0.9
    if (m && m[3]) m[3].split("&").forEach(function (kv) {
      var pair = kv.split("="), v = decodeURIComponent(pair[1] || "");
      if (pair[0] === "x" && (v === "step" || v === "time")) prefs.x = v;
      else if (pair[0] === "log") prefs.log = v === "1";
      else if (pair[0] === "smooth" && +v >= 0 && +v < 1) prefs.smooth = +v;
    });
    if (m && m[1] === "p" && idx.projects[+m[2]]) project(app, idx.projects[+m[2]]);
    else if (m && m[1] === "r" && idx.runs[+m[2]]) run(app, idx.runs[+m[2]]);
    else home(app);
    window.scrollTo(0, 0);
  }

  window.addEventListener("hashchange", route);
  document.addEventListener("DOMContentLoaded", function () {
    if (!data.index) { document.getElementById("app").textContent = "data/index.js is missing: run swanlab-crawler view --out DIR again."; status({ page: "none" }); return; }
    route();
  });
})();
