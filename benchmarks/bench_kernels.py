"""The kernel layer's targets (DESIGN.md section 6), side by side with escnn when it is installed.

For the conv layers of DESIGN.md section 6, COLD construction (one fresh interpreter per repeat,
imports untimed, no caches) of the steerable kernel basis and its sampling on the filter grid:

1. C8,  16 regular -> 16 regular, k=5 (2D)                          target >= 20x faster than escnn
2. D16, 16 regular -> 16 regular, k=7 (2D)                          target >= 20x faster
3. icosahedral, 2 regular -> 2 regular, k=5 (3D)                    target < 1 s cold, >= 20x faster
4. octahedral,  2 regular -> 2 regular, k=3 (3D)                    target >= 20x faster
5. SO(3), 8 band-limited regular fields (L=2) -> same, k=5 (3D)     target < 1 s cold, >= 20x faster,
                                                                    peak memory <= 25% of escnn's

steerable's timed region: the gspace, the field representations, ``gs.build_kernel_basis`` and
``basis.sample_pairs(kernel_grid(k, d))`` (what a conv layer needs; the layer itself is a later
issue). escnn's timed region: the gspace, the ``FieldType`` and the whole ``R2Conv``/``R3Conv``
build (its basis, its sampling and its weight initialisation), so the comparison slightly
favours escnn. Both children import torch (untimed) so that their absolute peak memory is
comparable.

Peak memory is the child's ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end of the build,
in MB (2**20 bytes), with the increase over the same figure taken right after the imports.

escnn 1.0.11 runs under ``.venv-escnn/bin/python`` (``make bench-escnn`` creates it). It keeps a
joblib disk cache inside its package (``escnn/group/_cache/joblib``): it is measured once per
repeat with that cache emptied first ("cold", first use as after installing) and with the cache
warm (filled by the cold run). The ">= 20x" checks and the memory check use escnn's warm-cache
figures, the stricter comparison; the cold ratios are shown as well.

    python benchmarks/bench_kernels.py [--repeats 7] [--escnn-repeats 1] [--escnn-warm-repeats 2]
                                       [--cases c8,d16,ico,octa,so3] [--no-escnn] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_group import ESCNN_PYTHON, escnn_cache_clearer, load, machine  # noqa: E402
from harness import ROOT, Result, fmt_seconds, ratio, time_snippet  # noqa: E402

# ---- the conv layers ----------------------------------------------------------------------
# key: (label, gspace factory, field representation (steerable, escnn), copies, k, dim,
#       absolute target in seconds or None, memory target (fraction of escnn's peak) or None)
CASES = {
    "c8": (
        "C8, 16 regular -> 16 regular, k=5",
        "rot2dOnR2(8)",
        "gs.regular_repr",
        "gs.regular_repr",
        16,
        5,
        2,
        None,
        None,
    ),
    "d16": (
        "D16, 16 regular -> 16 regular, k=7",
        "flipRot2dOnR2(16)",
        "gs.regular_repr",
        "gs.regular_repr",
        16,
        7,
        2,
        None,
        None,
    ),
    "ico": (
        "icosahedral, 2 regular -> 2 regular, k=5",
        "icoOnR3()",
        "gs.regular_repr",
        "gs.regular_repr",
        2,
        5,
        3,
        1.0,
        None,
    ),
    "octa": (
        "octahedral, 2 regular -> 2 regular, k=3",
        "octaOnR3()",
        "gs.regular_repr",
        "gs.regular_repr",
        2,
        3,
        3,
        None,
        None,
    ),
    "so3": (
        "SO(3), 8 band-limited regular (L=2) -> same, k=5",
        "rot3dOnR3()",
        "gs.fibergroup.bl_regular_representation(2)",
        "gs.fibergroup.bl_regular_representation(L=2)",
        8,
        5,
        3,
        1.0,
        0.25,
    ),
}
SPEEDUP = 20.0  # every case: >= 20x faster than escnn

# ---- snippets ------------------------------------------------------------------------------
# The setup records the peak memory after the imports; the stmt reports the end-of-build peak.
MEM_SETUP = """
import resource as _resource
_BASE_MB = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024
"""
STEERABLE_SETUP = (
    """
import torch  # untimed, so the absolute peak is comparable with escnn's (which needs torch)
from steerable import gspaces, kernels
import steerable.group as G
"""
    + MEM_SETUP
)
STEERABLE_STMT = """
import time as _time
_t0 = _time.perf_counter()
gs = gspaces.{gspace}
rin = G.directsum([{rep}] * {n})
_t1 = _time.perf_counter()
rings = kernels.default_rings({k})
sigma = kernels.default_sigma(rings)
basis = gs.build_kernel_basis(rin, rin, rings=rings, sigma=sigma)
_t2 = _time.perf_counter()
values = basis.sample_pairs(kernels.kernel_grid({k}, {d}))
_t3 = _time.perf_counter()
_peak = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024
INFO = {{"peak_mb": _peak, "base_mb": _BASE_MB, "basis_dim": int(basis.dim),
         "field_size": int(rin.size), "pairs": len(values),
         "sampled_mb": sum(v.nbytes for v in values) / 2**20,
         "t_gspace_repr": _t1 - _t0, "t_basis": _t2 - _t1, "t_sample": _t3 - _t2}}
"""
ESCNN_SETUP = (
    """
import torch
from escnn import gspaces, nn
"""
    + MEM_SETUP
)
ESCNN_STMT = """
import time as _time
_t0 = _time.perf_counter()
gs = gspaces.{gspace}
ft = nn.FieldType(gs, [{rep}] * {n})
_t1 = _time.perf_counter()
conv = nn.R{d}Conv(ft, ft, kernel_size={k})
_t2 = _time.perf_counter()
_peak = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024
INFO = {{"peak_mb": _peak, "base_mb": _BASE_MB, "basis_dim": int(conv.basisexpansion.dimension()),
         "field_size": int(ft.size), "t_gspace_fieldtype": _t1 - _t0, "t_conv": _t2 - _t1}}
"""


def cold_runs(label: str, stmt: str, setup: str, repeats: int, warmup: int, **kw) -> Result:
    """``repeats`` fresh interpreters, one build each (after ``warmup`` discarded ones), keeping
    every child's INFO (peak memory, basis size, timing breakdown) in ``info["runs"]``.

    A failure or timeout ends the case: with no successful repeat yet its Result is returned,
    otherwise the successful repeats are kept and the failure is noted in ``info``."""
    out, runs = Result(label), []
    for i in range(repeats):
        r = time_snippet(label, stmt, setup, cold=True, repeats=1, warmup=warmup if i == 0 else 0, **kw)
        if not r.ok:
            if not runs:
                return r
            out.info = {"runs": runs, "later_failure": f"{r.status}: {r.message}"}
            return out
        out.times += r.times
        out.cpu_times += r.cpu_times
        runs.append(r.info)
    out.info = {"runs": runs}
    return out


def peak(r: Result | None, increase: bool = False) -> float | None:
    """Median over the repeats of the child's peak memory in MB (or of its increase over the
    peak right after the imports), or None."""
    if r is None or not r.ok or not r.info.get("runs"):
        return None
    return statistics.median(run["peak_mb"] - (run["base_mb"] if increase else 0.0) for run in r.info["runs"])


def fmt_mb(r: Result | None) -> str:
    if r is None:
        return "-"
    if not r.ok:
        return fmt_seconds(r)
    return f"{peak(r):.0f} MB (+{peak(r, increase=True):.0f})"


def _frac(ours: Result, ref: Result | None) -> str:
    """steerable's peak memory as a fraction of escnn's."""
    p, q = peak(ours), peak(ref)
    return "-" if p is None or q is None else f"{p / q:.0%}"


def speedup(ref: Result | None, ours: Result) -> float | None:
    """escnn time / steerable time; a lower bound when escnn timed out."""
    if ref is None or not ours.ok:
        return None
    if ref.status == "timeout":
        return float(ref.message.strip("> s")) / ours.median
    return ref.median / ours.median if ref.ok else None


def checks(case, ours: Result, ref: Result | None) -> tuple[str, str]:
    """(target text, met text) for one case; ``ref`` is escnn's warm-cache result."""
    _, _, _, _, _, _, _, abs_target, mem_target = case
    tgt, met = [], []
    yes = lambda ok: "yes" if ok else "**NO**"
    if abs_target is not None:
        tgt.append(f"< {abs_target:g} s")
        met.append(yes(ours.ok and ours.median < abs_target) if ours.ok else "-")
    tgt.append(f">= {SPEEDUP:g}x")
    s = speedup(ref, ours)
    met.append("-" if s is None else yes(s >= SPEEDUP))
    if mem_target is not None:
        tgt.append(f"peak <= {mem_target:.0%} of escnn")
        p, q = peak(ours), peak(ref)
        met.append("-" if p is None or q is None else yes(p <= mem_target * q))
    return ", ".join(tgt), ", ".join(met)


def sources_mtime() -> str:
    """When steerable's sources last changed (the tree may be edited while benchmarks run)."""
    files = [
        os.path.join(dp, f)
        for dp, _, fs in os.walk(os.path.join(ROOT, "steerable"))
        for f in fs
        if f.endswith(".py")
    ]
    if not files:
        return "?"
    last = max(files, key=os.path.getmtime)
    when = datetime.datetime.fromtimestamp(os.path.getmtime(last), datetime.timezone.utc)
    return f"{when.isoformat(timespec='seconds')} ({os.path.relpath(last, ROOT)})"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=7, help="fresh processes per steerable case")
    p.add_argument(
        "--escnn-repeats",
        type=int,
        default=1,
        help="fresh processes per escnn case, its disk cache emptied before each",
    )
    p.add_argument(
        "--escnn-warm-repeats",
        type=int,
        default=2,
        help="fresh processes per escnn case with its disk cache warm (0: skip)",
    )
    p.add_argument("--timeout", type=float, default=600, help="seconds per escnn process")
    p.add_argument("--escnn-python", default=ESCNN_PYTHON)
    p.add_argument("--no-escnn", action="store_true", help="skip escnn even if installed")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    p.add_argument("--json", default=None, help="also write all results to this JSON file")
    a = p.parse_args(argv)

    keys = [c.strip() for c in a.cases.split(",") if c.strip()]
    unknown = [c for c in keys if c not in CASES]
    if unknown:
        p.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    esc = None if a.no_escnn or not os.path.exists(a.escnn_python) else a.escnn_python
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes")
    print(f"# bench_kernels  {now}  {machine()}")
    print(f"# steerable: {sys.executable}   escnn: {esc or 'not installed (make bench-escnn)'}")
    print(f"# steerable sources last modified: {sources_mtime()}")
    print(f"# load average at start: {load()}  (wall times on a shared machine vary with it)", flush=True)

    ours, cold, warm = {}, {}, {}
    for key in keys:
        label, gspace, rep, erep, n, k, d, *_ = CASES[key]
        ours[key] = cold_runs(
            label,
            STEERABLE_STMT.format(gspace=gspace, rep=rep, n=n, k=k, d=d),
            STEERABLE_SETUP,
            a.repeats,
            1,
            timeout=a.timeout,
        )
        print(f"  steerable {key}: {fmt_seconds(ours[key])}  {fmt_mb(ours[key])}", flush=True)
    if esc:
        clear = escnn_cache_clearer(esc)
        for key in keys:
            label, gspace, rep, erep, n, k, d, *_ = CASES[key]
            stmt = ESCNN_STMT.format(gspace=gspace, rep=erep, n=n, k=k, d=d)
            cold[key] = cold_runs(
                label + " (escnn, cache emptied)",
                stmt,
                ESCNN_SETUP,
                a.escnn_repeats,
                0,
                python=esc,
                timeout=a.timeout,
                before_each=clear,
            )
            print(f"  escnn {key} cold: {fmt_seconds(cold[key])}  {fmt_mb(cold[key])}", flush=True)
            if a.escnn_warm_repeats > 0:
                # the cold run above filled the cache; a timed-out one may not have: warm it once
                warm[key] = cold_runs(
                    label + " (escnn, cache warm)",
                    stmt,
                    ESCNN_SETUP,
                    a.escnn_warm_repeats,
                    0 if cold[key].ok else 1,
                    python=esc,
                    timeout=a.timeout,
                )
                print(f"  escnn {key} warm: {fmt_seconds(warm[key])}  {fmt_mb(warm[key])}", flush=True)

    print(
        f"\n## Kernel basis construction + sampling on the filter grid, cold (fresh process per "
        f"repeat, imports untimed; median of {a.repeats} steerable / {a.escnn_repeats} escnn cold / "
        f"{a.escnn_warm_repeats} escnn warm)\n"
    )
    head = [
        "layer",
        "steerable",
        "escnn, cache emptied",
        "ratio",
        "escnn, cache warm",
        "ratio",
        "target",
        "met",
        "steerable CPU",
        "escnn CPU (warm)",
    ]
    rows = [head, ["---"] * len(head)]
    for key in keys:
        ref = warm.get(key) or cold.get(key)
        tgt, met = checks(CASES[key], ours[key], ref)
        rows.append(
            [
                CASES[key][0],
                fmt_seconds(ours[key]),
                fmt_seconds(cold.get(key)),
                ratio(cold.get(key), ours[key]),
                fmt_seconds(warm.get(key)),
                ratio(warm.get(key), ours[key]),
                tgt,
                met,
                fmt_seconds(ours[key], cpu=True),
                fmt_seconds(ref, cpu=True),
            ]
        )
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print(
        "\nsteerable = gspace + representations + build_kernel_basis + sample_pairs (the layer "
        "itself is a later issue); escnn = gspace + FieldType + whole R2Conv/R3Conv build (basis, "
        "sampling, weight init), so the comparison slightly favours escnn."
    )

    print(
        "\n## Peak memory of the child (ru_maxrss at the end of the build, median; in brackets the "
        "increase over the peak right after the imports)\n"
    )
    head = [
        "layer",
        "steerable",
        "escnn, cache emptied",
        "escnn, cache warm",
        "steerable / escnn warm",
        "steerable / escnn cold",
    ]
    rows = [head, ["---"] * len(head)]
    for key in keys:
        rows.append(
            [
                CASES[key][0],
                fmt_mb(ours[key]),
                fmt_mb(cold.get(key)),
                fmt_mb(warm.get(key)),
                _frac(ours[key], warm.get(key)),
                _frac(ours[key], cold.get(key)),
            ]
        )
    for cells in rows:
        print("| " + " | ".join(cells) + " |")

    print("\n## Details (first repeat of each)\n")
    for key in keys:
        for name, r in (
            ("steerable", ours[key]),
            ("escnn cold", cold.get(key)),
            ("escnn warm", warm.get(key)),
        ):
            if r is not None and r.info.get("runs"):
                info = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.info["runs"][0].items()}
                print(f"{key:5s} {name:10s} {info}")
            elif r is not None:
                print(f"{key:5s} {name:10s} {r.status}: {r.message}")

    print(f"\n# load average at end: {load()}   steerable sources last modified: {sources_mtime()}")
    if a.json:
        res = [r.to_dict() for d in (ours, cold, warm) for r in d.values()]
        with open(a.json, "w") as f:
            json.dump({"date": now, "machine": machine(), "results": res}, f, indent=2)
        print(f"\nwrote {a.json}")


if __name__ == "__main__":
    main()
