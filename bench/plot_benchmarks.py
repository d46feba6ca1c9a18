#!/usr/bin/python3
"""Charts of rill's benchmark results, as PNG files.

usage: /usr/bin/python3 bench/plot_benchmarks.py [--peerbench FILE] [--rill-bench FILE]... --out DIR

  --peerbench FILE   run_all.sh's output: the raw .jsonl (its .median.jsonl
                     beside it is used) or the .median.jsonl itself
  --rill-bench FILE  JSON lines printed by bench/rill-bench (other lines are
                     skipped); may be given more than once
  --out DIR          where the PNG files go (created if missing)

Writes, for each chart whose data is present (a chart without data is
skipped with a message):
  append_throughput.png  peerbench append records/s per engine, os and batch side by side
  scan_throughput.png    peerbench scan / scan_cold (/ scan_group) records/s per engine
  tail_latency.png       rill-bench tail: p50 ... max latency, spin vs block
  recovery_time.png      rill-bench recovery: open time after a clean close and after
                         SIGKILL, against the unflushed MB at the kill
"""

import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RILL_COLOR = "#d62728"
DURABILITY_COLORS = {"os": "#4c72b0", "batch": "#dd8452"}
SCAN_COLORS = {"scan": "#4c72b0", "scan_cold": "#55a868", "scan_group": "#8172b3"}
WAIT_COLORS = {"spin": "#4c72b0", "block": "#dd8452"}


def read_jsonl(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def median_path(path):
    if path.endswith(".median.jsonl"):
        return path
    base = path[:-6] if path.endswith(".jsonl") else path
    return base + ".median.jsonl"


def fmt_rate(x):
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def fmt_us(x):
    if x >= 1e6:
        return f"{x / 1e6:.2f} s"
    if x >= 1e3:
        return f"{x / 1e3:.1f} ms"
    return f"{x:.0f} µs" if x >= 10 else f"{x:.1f} µs"


def fmt_s(x):
    return f"{x * 1e3:.0f} ms" if x < 1 else f"{x:.2f} s"


def ordered(values):
    """Unique values in first-seen order."""
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def run_facts(rows):
    """'n = 200,000 records of 12+100 B, commit every 1000, median of 1 run'."""
    r = rows[0]
    reps = max(int(x.get("reps", 1)) for x in rows)
    return (f"n = {int(r['n']):,} records of {int(r.get('key_bytes', 12))}+{int(r['value_bytes'])} B, "
            f"commit point every {int(r.get('batch', 1000))}; median of {reps} run{'s' if reps > 1 else ''}")


def grouped_bars(ax, groups, series, value, colors, fmt, log=True):
    """Bars of value(group, s) for each group (x) and series (side by side)."""
    width = 0.8 / len(series)
    for i, s in enumerate(series):
        xs, ys = [], []
        for g, name in enumerate(groups):
            v = value(name, s)
            if v is not None and v > 0:
                xs.append(g - 0.4 + width * (i + 0.5))
                ys.append(v)
        if not ys:
            continue
        bars = ax.bar(xs, ys, width, label=s, color=colors.get(s), edgecolor="black", linewidth=0.5)
        for b, y in zip(bars, ys):
            ax.annotate(fmt(y), (b.get_x() + b.get_width() / 2, y), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=20 if len(groups) > 6 else 0)
    for label in ax.get_xticklabels():
        if label.get_text() == "rill":
            label.set_color(RILL_COLOR)
            label.set_fontweight("bold")
    if log:
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * 3)  # Room for the value labels.
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.set_axisbelow(True)


def save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def skip(name, why):
    print(f"skipping {name}: {why}", file=sys.stderr)


def plot_append(rows, out_dir):
    name = "append_throughput.png"
    rows = [r for r in rows if r.get("workload") == "append"]
    if not rows:
        return skip(name, "no peerbench append rows")
    engines = ordered(r["engine"] for r in rows)
    durabilities = [d for d in ("os", "batch") if any(r["durability"] == d for r in rows)]
    by = {(r["engine"], r["durability"]): r["records_per_s"] for r in rows}
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(engines) + 2), 5.5))
    grouped_bars(ax, engines, durabilities, lambda e, d: by.get((e, d)), DURABILITY_COLORS, fmt_rate)
    ax.set_title("Append throughput, one record per call (higher is better)\n" + run_facts(rows),
                 fontsize=11)
    ax.set_ylabel("records/s (log scale)")
    ax.set_xlabel("engine  (os: handed to the OS at each commit point; batch: fsync'ed at each)")
    ax.legend(title="durability")
    save(fig, out_dir, name)


def plot_scan(rows, out_dir):
    name = "scan_throughput.png"
    rows = [r for r in rows if str(r.get("workload", "")).startswith("scan")]
    if not rows:
        return skip(name, "no peerbench scan rows")
    engines = ordered(r["engine"] for r in rows)
    workloads = ordered(r["workload"] for r in rows)
    by = {(r["engine"], r["workload"]): r["records_per_s"] for r in rows}
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(engines) + 2), 5.5))
    grouped_bars(ax, engines, workloads, lambda e, w: by.get((e, w)), SCAN_COLORS, fmt_rate)
    ax.set_title("Sequential read of every record, fresh process (higher is better)\n" + run_facts(rows),
                 fontsize=11)
    ax.set_ylabel("records/s (log scale)")
    ax.set_xlabel("engine  (scan: page cache warm; scan_cold: files dropped from the page cache first)")
    ax.legend(title="workload")
    save(fig, out_dir, name)


PERCENTILES = [("p50_us", "p50"), ("p90_us", "p90"), ("p99_us", "p99"), ("p999_us", "p99.9"),
               ("max_us", "max")]


def plot_tail(rows, out_dir):
    name = "tail_latency.png"
    rows = [r for r in rows if r.get("workload") == "tail" and "p50_us" in r]
    if not rows:
        return skip(name, "no rill-bench tail lines (with p50_us)")
    # One series per wait mode (and rate, when several were measured).
    rates = ordered(r.get("rate") for r in rows)

    def series_name(r):
        s = str(r.get("wait", "?"))
        return s if len(rates) <= 1 else f"{s}, {fmt_rate(r['rate'])}/s"

    series = ordered(series_name(r) for r in rows)
    by = {series_name(r): r for r in rows}
    colors = {s: WAIT_COLORS.get(s.split(",")[0], None) for s in series}
    groups = [label for key, label in PERCENTILES if any(key in r for r in rows)]
    keys = {label: key for key, label in PERCENTILES}
    fig, ax = plt.subplots(figsize=(9, 5.5))
    grouped_bars(ax, groups, series, lambda g, s: by[s].get(keys[g]), colors, fmt_us)
    r = rows[0]
    rate = f"{fmt_rate(r['rate'])} records/s, " if "rate" in r and len(rates) <= 1 else ""
    ax.set_title("rill tail latency: Send to Poll returning the record (lower is better)\n"
                 f"one producer thread at {rate}one consumer thread; n = {int(r.get('n', 0)):,}",
                 fontsize=11)
    ax.set_ylabel("latency, µs (log scale)")
    ax.set_xlabel("percentile")
    ax.legend(title="consumer wait", loc="upper left")
    save(fig, out_dir, name)


def plot_recovery(rows, out_dir):
    name = "recovery_time.png"
    rows = [r for r in rows if r.get("workload") == "recovery" and "unflushed_mb" in r]
    rows = [r for r in rows if "clean_open_s" in r or "dirty_open_s" in r]
    if not rows:
        return skip(name, "no rill-bench recovery lines (with unflushed_mb and clean/dirty_open_s)")
    rows.sort(key=lambda r: r["unflushed_mb"])
    fig, ax = plt.subplots(figsize=(9, 5.5))
    # Clean-open labels go below their points, dirty-open ones above, so the
    # two series do not write over each other where they meet.
    for key, label, color, dy in (("clean_open_s", "after a clean close", "#4c72b0", -14),
                                  ("dirty_open_s", "after SIGKILL (recovers the unflushed tail)",
                                   "#dd8452", 6)):
        pts = [(r["unflushed_mb"], r[key]) for r in rows if key in r]
        if not pts:
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, marker="o", label=label, color=color)
        for x, y in pts:
            ax.annotate(fmt_s(y), (x, y), xytext=(0, dy), textcoords="offset points", ha="center",
                        fontsize=8, color=color)
    ax.set_title("rill open time to the first successful Poll (lower is better)", fontsize=11)
    ax.set_xlabel("unflushed data at the kill, MiB")
    ax.set_ylabel("seconds")
    top = ax.get_ylim()[1] * 1.15
    ax.set_ylim(bottom=-0.06 * top, top=top)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, out_dir, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peerbench", help="run_all.sh's raw .jsonl or its .median.jsonl")
    ap.add_argument("--rill-bench", action="append", default=[], help="rill-bench JSON lines")
    ap.add_argument("--out", required=True, help="directory for the PNG files")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    peer = []
    if a.peerbench:
        path = median_path(a.peerbench)
        if os.path.exists(path):
            peer = read_jsonl(path)
        else:
            print(f"no {path}: peerbench charts skipped", file=sys.stderr)
    plot_append(peer, a.out)
    plot_scan(peer, a.out)

    rill = []
    for path in a.rill_bench:
        if os.path.exists(path):
            rill += read_jsonl(path)
        else:
            print(f"no {path}: skipped", file=sys.stderr)
    rill = [r for r in rill if r.get("engine") == "rill"]
    plot_tail(rill, a.out)
    plot_recovery(rill, a.out)


if __name__ == "__main__":
    main()
