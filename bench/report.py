"""Writing a run: results.json, results.md, machine.md and PNG charts."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from bench.machine import as_markdown
from bench.stats import MIN_SAMPLES_FOR_P99

MODES = {
    "single_unpinned": "One client, unpinned",
    "single_pinned": "One client, pinned (client, backend and a local redis-server on one core)",
    "clients": "Concurrent clients",
}


def write(out_dir: Path, run: dict) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "results.json": json.dumps(run, indent=2, default=str),
        "results.md": as_results_markdown(run),
        "machine.md": as_markdown(run["machine"]),
    }
    written = []
    for name, text in files.items():
        (out_dir / name).write_text(text)
        written.append(out_dir / name)
    written.append(_latency_chart(out_dir / "latency.png", run))
    growth = _growth_chart(out_dir / "growth.png", run)
    if growth:
        written.append(growth)
    return written


# -- Markdown ----------------------------------------------------------------------------------


def _ms(summary: dict | None) -> str:
    if not summary:
        return "-"
    p99 = "n/a" if summary["p99_ms"] is None else f"{summary['p99_ms']:.3f}"
    return f"{summary['p50_ms']:.3f} / {p99} / {summary['mean_ms']:.3f}"


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or not denominator:
        return "-"
    return f"{numerator / denominator:.2f}x"


def _p50(figures: dict, op: str, side: str) -> float | None:
    summary = figures.get(op, {}).get(side)
    return summary["p50_ms"] if summary else None


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[value]


def _unavailable(op: dict, mode: dict, side: str) -> str | None:
    missing = op["availability"].get(side)
    if missing:
        return "not available: needs " + ", ".join(missing)
    left_out = mode.get("left_out", {}).get(op["name"])
    if left_out:
        return f"left out: {left_out}"
    failure = mode["failures"].get(op["name"], {}).get(side)
    return f"failed: {failure}" if failure else None


def _times_floor(figures: dict, op: dict) -> str:
    """notifydb's p50 over its floor's; for writes also over SELECT 1 on the same connection."""
    if not op["floor"]:
        return "floor"
    mine = _p50(figures, op["name"], "notifydb")
    cell = _ratio(mine, _p50(figures, op["floor"], "notifydb"))
    if op["floor"] == "floor.commit" and mine is not None:
        cell += f" ({_ratio(mine, _p50(figures, 'floor.select1', 'notifydb'))} SELECT 1)"
    return cell


def _mode_table(run: dict, key: str) -> list[str]:
    mode = run["modes"][key]
    if "skipped" in mode:
        return [f"Not measured: {mode['skipped']}", ""]
    figures = mode["figures"]
    concurrent = key == "clients"
    judged = run["targets"]["by_mode"].get(key)
    head = "| operation | notifydb p50 / p99 / mean ms | x floor | baseline p50 / p99 / mean ms | baseline ÷ notifydb |"
    wal = " WAL bytes/call notifydb / hand-written SQL |"
    head += " notifydb ops/s | baseline ops/s |" if concurrent else f"{wal} target | met |"
    lines = [*_pinning_lines(mode), head, "|" + "---|" * (head.count("|") - 1)]
    for op in run["operations"]:
        name = op["name"]
        mine = figures.get(name, {}).get("notifydb")
        seed = figures.get(name, {}).get("seed")
        note = _unavailable(op, mode, "notifydb")
        cells = [
            f"{op['label']} (`{name}`)",
            note or _ms(mine),
            "-" if note else _times_floor(figures, op),
            (_unavailable(op, mode, "seed") or _ms(seed)) if op["has_seed"] else "(no seed equivalent)",
            _ratio(_p50(figures, name, "seed"), _p50(figures, name, "notifydb")),
        ]
        if concurrent:
            cells += [_rate(mine), _rate(seed)]
        elif not judged:
            cells.append(_wal(mine, seed) if op.get("writes") else "-")
            cells += ["n/a", "n/a"] if op["targets"] else ["-", "-"]
        else:
            cells.append(_wal(mine, seed) if op.get("writes") else "-")
            checks = judged.get(name, [])
            cells += [
                "; ".join(check["target"] for check in checks) or "-",
                " / ".join(_met(check["met"]) for check in checks) or "-",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _pinning_lines(mode: dict) -> list[str]:
    if "cpu" not in mode:
        return []
    if mode["redis_server_pid"]:
        who = f"the client, its backend and redis-server (pid {mode['redis_server_pid']})"
    else:
        who = f"the client and its backend; redis-server not ({mode['redis_not_pinned']}), so Redis rows are left out"
    return [f"Pinned to CPU {mode['cpu']}: {who}.", ""]


def _wal(mine: dict | None, seed: dict | None) -> str:
    """Median WAL bytes per call on each side (mean in brackets)."""

    def cell(summary: dict | None) -> str:
        if not summary or summary.get("wal_bytes_p50") is None:
            return "-"
        return f"{summary['wal_bytes_p50']:,.0f} ({summary['wal_bytes_mean']:,.0f})"

    return f"{cell(mine)} / {cell(seed)}"


def _rate(summary: dict | None) -> str:
    return f"{summary['throughput_per_s']:,.0f}" if summary and summary.get("throughput_per_s") else "-"


def _scenario_lines(run: dict) -> list[str]:
    lines = ["## Scenarios", ""]
    for name, result in run["scenarios"].items():
        if "not_available" in result:
            lines += [f"- **{name}**: not available: needs {', '.join(result['not_available'])}"]
        elif "failed" in result:
            lines += [f"- **{name}**: failed: {result['failed']}"]
        elif name == "fan_out":
            seconds = {way: result[way]["seconds_p50"] for way in ("notifydb", "seed_copy", "seed_insert_unnest")}
            lines += [
                f"- **fan-out to {result['users']:,} users** (p50 of {len(result['notifydb']['runs'])} runs): "
                f"notifydb {seconds['notifydb']:.3f} s, baseline COPY {seconds['seed_copy']:.3f} s, "
                f"baseline INSERT...SELECT unnest {seconds['seed_insert_unnest']:.3f} s; "
                f"target {result['target']}: {_met(result['met'])}"
            ]
        elif name == "outbox":
            lines += [
                f"- **outbox**: {result['jobs']:,} jobs claimed and completed by {result['relays']} relays in "
                f"{result['seconds']:.2f} s = {result['jobs_per_s']:,.0f} jobs/s; "
                f"target {result['target']}: {_met(result['met'])}"
            ]
        elif name == "purge":
            lines += _purge_lines(result)
        elif name == "mixed":
            lines += _mixed_lines(result)
    return [*lines, ""]


def _purge_lines(result: dict) -> list[str]:
    rates = result["rows_per_s"]
    lines = [
        f"- **retention purge** (default batch size, {len(result['runs'])} runs, each purge after a CHECKPOINT; "
        f"targets: {result['target']}: {_met(result['met'])})",
        "",
        "| side | median rows/s | min | max | spread (max - min) / median | runs |",
        "|---|---|---|---|---|---|",
    ]
    for side, figures in rates.items():
        spread = "-" if figures["spread"] is None else f"{100 * figures['spread']:.0f} %"
        lines.append(
            f"| {side} | {figures['median']:,.0f} | {figures['min']:,.0f} | {figures['max']:,.0f} | {spread} | "
            + ", ".join(f"{value:,.0f}" for value in figures["runs"])
            + " |"
        )
    lines += [
        "",
        "| run | side | rows deleted | rows/s | inbox p50 / p99 / mean ms idle | during purge | "
        "table MB before → after purge → after VACUUM → after refill | dead tuples after purge |",
        "|---|---|---|---|---|---|---|---|",
    ]
    cycles = [(str(number + 1), cycle) for number, cycle in enumerate(result["runs"])]
    beside = result["beside_readers"]
    for label, cycle in [*cycles, (f"beside {beside['readers']} readers", beside)]:
        for side, figures in cycle["sides"].items():
            sizes = [
                figures["before"]["total_bytes"],
                figures["after"]["total_bytes"],
                cycle["after_vacuum"][side]["total_bytes"],
                cycle["after_refill"][side]["total_bytes"],
            ]
            rate = f"{figures['rows_per_s']:,.0f}" if figures["rows_per_s"] else "-"
            lines.append(
                f"| {label} | {side} | {figures['deleted']:,} | {rate} | {_ms(figures['inbox_idle'])} | "
                f"{_ms(figures['inbox_during_purge'])} | "
                + " → ".join(f"{size / 2**20:.1f}" for size in sizes)
                + f" | {figures['after']['dead_tuples']:,} |"
            )
    return [*lines, ""]


def _mixed_lines(result: dict) -> list[str]:
    mix = ", ".join(f"{100 * share:g} % {kind}" for kind, share in result["mix"].items())
    lines = [
        f"- **mixed load**: {result['clients']} client processes for {result['seconds']:g} s on each schema "
        f"({mix}; users drawn in proportion to their inbox size); targets: {result['target']}: "
        f"{_met(result['met'])}",
        "",
        "| side | calls | calls/s | all calls p50 / p99 / mean ms | "
        + " | ".join(f"{kind} p50 / p99 / mean ms" for kind in result["mix"])
        + " |",
        "|---|---|---|---|" + "---|" * len(result["mix"]),
    ]
    for side, figures in result["sides"].items():
        lines.append(
            f"| {side} | {figures['calls']:,} | {figures['ops_per_s']:,.0f} | {_ms(figures['all'])} | "
            + " | ".join(_ms(figures["by_kind"][kind]) for kind in result["mix"])
            + " |"
        )
    return [*lines, ""]


def _rows_label(point: dict) -> str:
    return f"{point['live']:,} live rows ({point['total']:,} in the table)"


def _growth_lines(run: dict) -> list[str]:
    growth = run.get("growth") or {}
    points = growth.get("points", [])
    if len(points) < 2:
        return ["## Growth: not measured", "", growth.get("note", ""), ""]
    small, full = points
    lines = [
        "## Growth: single client, unpinned, p50 ms",
        "",
        growth["note"],
        "",
        f"| operation | side | {_rows_label(small)} | {_rows_label(full)} | growth |",
        "|---|---|---|---|---|",
    ]
    for name in growth["operations"]:
        for side in ("notifydb", "seed"):
            before, after = _p50(small["figures"], name, side), _p50(full["figures"], name, side)
            if before is None and after is None:
                continue
            cell = [f"{value:.3f}" if value is not None else "-" for value in (before, after)]
            lines.append(f"| `{name}` | {side} | {cell[0]} | {cell[1]} | {_ratio(after, before)} |")
    return [*lines, ""]


def _target_lines(run: dict) -> list[str]:
    """Every target notifydb is held to, what this run measured, and whether it is met."""
    labels = {op["name"]: op["label"] for op in run["operations"]}
    by_mode = run["targets"]["by_mode"]
    modes = [key for key in run["targets"]["modes"] if key in by_mode]
    lines = [
        "## Targets",
        "",
        "notifydb against the hand-written SQL on the reference schema, same data, same server, same run: "
        "p50 ratios of one client, judged on the unpinned and the pinned table (met means met in both; a "
        "table not measured is left out). WAL targets compare the median WAL bytes per call.",
        "",
        "| operation | target | " + " | ".join(MODES[key].split(" (")[0] for key in modes) + " | met |",
        "|---|---|" + "---|" * len(modes) + "---|",
    ]
    first = by_mode[modes[0]] if modes else {}
    for name, checks in first.items():
        for index, check in enumerate(checks):
            per_mode = [by_mode[key][name][index] for key in modes]
            known = [item["met"] for item in per_mode if item["met"] is not None]
            met = all(known) if known else None
            lines.append(
                f"| {labels[name]} (`{name}`) | {check['target']} | "
                + " | ".join(item["shown"] for item in per_mode)
                + f" | {_met(met)} |"
            )
    for name, result in run["scenarios"].items():
        if "checks" in result:
            for check in result["checks"]:
                lines.append(
                    f"| scenario `{name}` | {check['target']} | {check['shown']}"
                    + " | -" * (len(modes) - 1)
                    + f" | {_met(check['met'])} |"
                )
        elif "target" in result:
            lines.append(
                f"| scenario `{name}` | {result['target']} | {_scenario_measure(name, result)}"
                + " | -" * (len(modes) - 1)
                + f" | {_met(result['met'])} |"
            )
        else:
            lines.append(f"| scenario `{name}` | - | {_scenario_problem(result)}" + " | -" * len(modes) + " |")
    return [*lines, ""]


def _scenario_measure(name: str, result: dict) -> str:
    if name == "fan_out":
        mine, copy = result["notifydb"]["seconds_p50"], result["seed_copy"]["seconds_p50"]
        return f"{mine / copy:.2f}x COPY's time ({mine:.3f} s vs {copy:.3f} s)"
    if name == "outbox":
        return f"{result['jobs_per_s']:,.0f} jobs/s"
    return "-"


def _scenario_problem(result: dict) -> str:
    if "not_available" in result:
        return "not available: needs " + ", ".join(result["not_available"])
    return f"failed: {result.get('failed', 'no result')}"


def as_results_markdown(run: dict) -> str:
    meta = run["meta"]
    data = run["dataset"]
    lines = [
        "# notifydb benchmark results",
        "",
        f"Run {meta['started']} → {meta['finished']}, scale {data['params']['scale']:g} "
        f"({data['rows']['notifications']:,} notification rows of which {data['rows']['live']:,} live, "
        f"{data['rows']['events']:,} events; heaviest inbox {data['rows']['heaviest_inbox']:,} rows, "
        f"{data['rows']['inboxes_10k']} inboxes with 10,000+), data set {data['how']}. "
        f"Machine: see machine.md. Plan: {meta['plan']}.",
        "",
        "Latency cells are p50 / p99 / mean in milliseconds. x floor is context, not a target: notifydb's p50 "
        "over a floor (floor: a `SELECT 1` round trip for reads; for writes a round trip plus a commit's WAL "
        "flush, also shown over `SELECT 1`; a Redis `GET` for Redis), each measured on the same connection "
        "in the same mode. WAL bytes/call is the median of the WAL written between just before and just after "
        "each call (mean in brackets). baseline ÷ notifydb is how many times faster notifydb is than the reference "
        f"schema with hand-written SQL. p99 is n/a where fewer than {MIN_SAMPLES_FOR_P99} calls were timed "
        "(it would be the maximum). Targets are judged on the two single-client tables (see Targets).",
        "",
    ]
    lines += _target_lines(run)
    for key, title in MODES.items():
        suffix = f" ({meta['plan']['clients']} processes)" if key == "clients" else ""
        lines += [f"## {title}{suffix}", "", *_mode_table(run, key)]
    lines += _scenario_lines(run)
    lines += _growth_lines(run)
    lines += ["## Consistency after the run", "", run["state_check"], ""]
    return "\n".join(lines)


# -- charts ----------------------------------------------------------------------------------------


def _latency_chart(path: Path, run: dict) -> Path:
    modes = [key for key in ("single_unpinned", "single_pinned") if "figures" in run["modes"][key]]
    fig, axes = plt.subplots(1, len(modes), figsize=(7 * len(modes), 9), squeeze=False, sharey=True)
    names = [op["name"] for op in run["operations"] if op["group"] != "floor"]
    for ax, key in zip(axes[0], modes, strict=True):
        figures = run["modes"][key]["figures"]
        rows = range(len(names))
        mine = [_p50(figures, name, "notifydb") or 0 for name in names]
        seed = [_p50(figures, name, "seed") or 0 for name in names]
        ax.barh([r + 0.2 for r in rows], mine, height=0.4, label="notifydb", color="tab:blue")
        ax.barh([r - 0.2 for r in rows], seed, height=0.4, label="baseline (hand-written SQL)", color="tab:gray")
        for floor, style in (("floor.select1", "--"), ("floor.commit", ":"), ("floor.redis_get", "-.")):
            value = _p50(figures, floor, "notifydb")
            if value:
                ax.axvline(value, color="tab:red", linestyle=style, label=f"{floor} {value:.3f} ms")
        ax.set_xscale("log")
        ax.set_yticks(list(rows), names)
        ax.invert_yaxis()
        ax.set_xlabel("p50 latency, ms (log scale)")
        ax.set_title(MODES[key])
        ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _growth_chart(path: Path, run: dict) -> Path | None:
    growth = run.get("growth") or {}
    points = growth.get("points", [])
    if len(points) < 2:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    sizes = [point["live"] for point in points]
    for name in growth["operations"]:
        for side, style in (("notifydb", "-o"), ("seed", "--s")):
            values = [_p50(point["figures"], name, side) for point in points]
            if None not in values:
                ax.plot(sizes, values, style, label=f"{name} ({side})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("live notification rows in the table")
    ax.set_ylabel("p50 latency, ms (log scale)")
    ax.set_title("Latency against table size (one client, unpinned)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
