"""A small timing harness for steerable's benchmarks (standard library only).

Three ways to time code, all with ``time.perf_counter`` and reported as the median:

* :func:`time_callable` -- in this process: warm-up calls, then repeats.
* :func:`time_snippet` with ``cold=False`` -- in one fresh interpreter: run ``setup`` once
  (untimed), then warm-up runs and repeats of ``stmt``.
* :func:`time_snippet` with ``cold=True`` -- every repeat in its own fresh interpreter: run
  ``setup`` (untimed), then ``stmt`` exactly once. Import cost is measured this way, e.g.
  ``setup="import torch"``, ``stmt="import steerable"`` times what ``import steerable`` adds
  on top of ``import torch``.

``python=`` runs the snippet under another interpreter (e.g. escnn's ``.venv-escnn/bin/python``);
this file only needs the standard library, so it is its own child driver there too.
:func:`print_table` prints steerable against a reference with ratio columns.

Command line (ad-hoc timings)::

    python benchmarks/harness.py --setup "import torch" --stmt "import steerable.group" --cold
    python benchmarks/harness.py --stmt "sum(range(10**6))" --repeats 9 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

MARKER = "@@HARNESS@@"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Result:
    """Timings of one measurement. ``status`` is ok, timeout, error or missing."""

    label: str
    times: list = field(default_factory=list)
    cpu_times: list = field(default_factory=list)
    status: str = "ok"
    message: str = ""
    info: dict = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.ok else None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.times)

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu_times) if self.ok and self.cpu_times else None

    def to_dict(self) -> dict:
        return {**asdict(self), "median": self.median, "cpu_median": self.cpu_median}


def time_callable(fn, repeats: int = 5, warmup: int = 1, cpu: list | None = None) -> list[float]:
    """Wall seconds of ``repeats`` calls of ``fn()`` after ``warmup`` untimed calls.

    If a list ``cpu`` is given, the process CPU seconds of each call are appended to it (on a
    shared, loaded machine they vary less than wall time).
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return times


def interleaved(fns: dict, repeats: int, warmup: int = 1) -> dict:
    """Median ``(wall, CPU)`` seconds of each callable of ``fns``, run in alternation
    (a, b, a, b, ...) after ``warmup`` untimed rounds, so machine load affects all alike."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            f()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
    return {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in fns}


def _child() -> None:
    """Child driver: read a spec from stdin, time it, print one marker line of JSON."""
    spec = json.load(sys.stdin)
    ns: dict = {"__name__": "__bench__"}
    exec(compile(spec["setup"], "<setup>", "exec"), ns)
    code = compile(spec["stmt"], "<stmt>", "exec")
    cpu: list = []
    times = time_callable(lambda: exec(code, ns), spec["repeats"], spec["warmup"], cpu)
    out = {"times": times, "cpu_times": cpu, "info": ns.get("INFO", {})}
    print(MARKER + json.dumps(out, default=str), flush=True)


def _child_env(extra: dict | None) -> dict:
    """The children's environment. Bytecode writing is switched back on (some shells set
    PYTHONDONTWRITEBYTECODE): an installed package has its .pyc files, and without them every
    fresh interpreter would recompile the sources and import cost would be overstated."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def _spawn(python: str, spec: dict, timeout: float, env: dict | None) -> dict:
    proc = subprocess.run(
        [python, os.path.abspath(__file__), "--child"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=_child_env(env),
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"exit code {proc.returncode}: " + " | ".join(tail))
    return json.loads(lines[-1][len(MARKER) :])


def time_snippet(
    label: str,
    stmt: str,
    setup: str = "",
    *,
    python: str | None = None,
    cold: bool = False,
    repeats: int = 5,
    warmup: int = 1,
    timeout: float = 300,
    before_each=None,
    env: dict | None = None,
) -> Result:
    """Time ``stmt`` (after an untimed ``setup``) in fresh interpreter(s); see module doc.

    ``cold=True``: ``warmup`` discarded fresh processes (they fill the OS file cache and
    write .pyc files), then ``repeats`` fresh processes with one timed run each.
    ``before_each`` is called in this process before every child (e.g. to clear a disk
    cache). ``timeout`` (seconds) applies to each child. A missing interpreter, a timeout or
    a failing snippet gives a Result with that status instead of raising.
    """
    python = python or sys.executable
    if not os.path.exists(python):
        return Result(label, status="missing", message=f"{python} not found")
    if cold:
        runs = [(False, {"setup": setup, "stmt": stmt, "repeats": 1, "warmup": 0})] * warmup
        runs += [(True, {"setup": setup, "stmt": stmt, "repeats": 1, "warmup": 0})] * repeats
    else:
        runs = [(True, {"setup": setup, "stmt": stmt, "repeats": repeats, "warmup": warmup})]
    result = Result(label)
    for keep, spec in runs:
        if before_each is not None:
            before_each()
        try:
            out = _spawn(python, spec, timeout, env)
        except subprocess.TimeoutExpired:
            return Result(label, status="timeout", message=f"> {timeout:g} s")
        except RuntimeError as exc:
            return Result(label, status="error", message=str(exc))
        if keep:
            result.times += out["times"]
            result.cpu_times += out["cpu_times"]
            result.info = out["info"]
    return result


def fmt_seconds(r: Result | None, cpu: bool = False) -> str:
    """Median wall time (or CPU time with ``cpu=True``) as text, or the failure status."""
    if r is None:
        return "-"
    if r.status == "timeout":
        return f">timeout ({r.message.strip('> ')})"
    if not r.ok:
        return r.status
    t = r.cpu_median if cpu else r.median
    if t is None:
        return "-"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def ratio(ref: Result | None, ours: Result | None) -> str:
    """``ref / ours`` (how many times faster steerable is), or a lower bound on timeout."""
    if ours is None or not ours.ok or ref is None:
        return "-"
    if ref.status == "timeout":
        return f">{float(ref.message.strip('> s')) / ours.median:.0f}x"
    return f"{ref.median / ours.median:.1f}x" if ref.ok else "-"


def print_table(rows, ref_name: str = "escnn", file=None) -> None:
    """Print a markdown table. ``rows``: ``(what, ours, ref, target_seconds_or_None)``.

    Times are medians of wall time (``perf_counter``); ``met`` compares the wall median with the
    target. The CPU columns (``process_time``, all threads) show how much of a slow wall time is
    the machine being busy with other work.
    """
    head = [
        "what",
        "steerable",
        ref_name,
        f"{ref_name} / steerable",
        "target",
        "met",
        "steerable CPU",
        f"{ref_name} CPU",
    ]
    lines = [head, ["---"] * len(head)]
    for what, ours, ref, target in rows:
        met = (
            "-"
            if target is None or ours is None or not ours.ok
            else ("yes" if ours.median <= target else "NO")
        )
        tgt = "-" if target is None else f"<= {target:g} s"
        lines.append(
            [
                what,
                fmt_seconds(ours),
                fmt_seconds(ref),
                ratio(ref, ours),
                tgt,
                met,
                fmt_seconds(ours, cpu=True),
                fmt_seconds(ref, cpu=True),
            ]
        )
    for cells in lines:
        print("| " + " | ".join(cells) + " |", file=file)


def main(argv=None) -> None:
    if argv is None and sys.argv[1:] == ["--child"]:
        return _child()
    p = argparse.ArgumentParser(description="Time a Python snippet (median of repeats).")
    p.add_argument("--stmt", required=True, help="code to time")
    p.add_argument("--setup", default="", help="untimed code run first")
    p.add_argument("--python", default=None, help="interpreter to run under (default: this one)")
    p.add_argument("--cold", action="store_true", help="one fresh interpreter per repeat")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--json", default=None, help="write the result to this JSON file")
    a = p.parse_args(argv)
    r = time_snippet(
        a.stmt,
        a.stmt,
        a.setup,
        python=a.python,
        cold=a.cold,
        repeats=a.repeats,
        warmup=a.warmup,
        timeout=a.timeout,
    )
    print(f"{fmt_seconds(r)}  (median of {len(r.times)}; {r.message or r.status})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r.to_dict(), f, indent=2)


if __name__ == "__main__":
    main()
