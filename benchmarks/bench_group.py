"""The group layer's targets (DESIGN.md section 6), side by side with escnn when it is installed.

1. import cost on top of ``import torch`` (fresh interpreters, median)      target <= 0.3 s
2. the icosahedral group, all its irreps and the Clebsch-Gordan coefficients of every pair
   of irreps (every output irrep of each tensor product), in a fresh process, imports
   excluded (they are target 1)                                             target <= 0.2 s
3. the SO(3) irreps l = 0..8 on 10,000 group elements                       target <= 0.1 s

escnn 1.0.11 runs under ``.venv-escnn/bin/python`` (``make bench-escnn`` creates it). escnn keeps
a joblib disk cache inside its package (``escnn/group/_cache/joblib``); target 2 is measured for
escnn once with that cache emptied first (first use, as after installing) and with it warm.

    python benchmarks/bench_group.py [--repeats 7] [--json out.json] [--no-escnn]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, print_table, time_snippet  # noqa: E402

ESCNN_PYTHON = os.path.join(ROOT, ".venv-escnn", "bin", "python")

# ---- snippets: steerable ------------------------------------------------------------------
ICO = """
G = ico_group()
irreps = G.irreps()
n = 0
for a in irreps:
    for b in irreps:
        for j, _ in G._tensor_product_irreps(a.id, b.id):
            G._clebsh_gordan_coeff(a.id, b.id, j)
            n += 1
INFO = {"order": G.order(), "irrep_sizes": [r.size for r in irreps], "cg_blocks": n}
"""
SO3_SETUP = """
import numpy as np
from steerable.group import so3_group
from steerable.group._so3_math import wigner_D
G = so3_group(8)
rng = np.random.default_rng(0)
elements = [G.sample(rng) for _ in range(10_000)]
Q = np.stack([g.to("Q") for g in elements])  # (10000, 4) quaternions, xyzw
"""
SO3_ELEMENTS = """
out = [G.irrep(l).matrices(elements) for l in range(9)]
INFO = {"shapes": [m.shape for m in out]}
"""
SO3_WIGNER = """
out = [wigner_D(l, Q) for l in range(9)]
INFO = {"shapes": [m.shape for m in out]}
"""

# ---- snippets: escnn (same work through its public element API) ---------------------------
ESCNN_ICO = """
G = ico_group()
irreps = G.irreps()
n = 0
for a in irreps:
    for b in irreps:
        for j, _ in G._tensor_product_irreps(a, b):
            G._clebsh_gordan_coeff(a, b, j)
            n += 1
INFO = {"order": G.order(), "irrep_sizes": [r.size for r in irreps], "cg_blocks": n}
"""
ESCNN_SO3_SETUP = """
from escnn.group import so3_group
G = so3_group(8)
elements = [G.sample() for _ in range(10_000)]
"""
ESCNN_SO3 = """
out = []
for l in range(9):
    r = G.irrep(l)
    out.append([r(g) for g in elements])
INFO = {"shapes": [(len(m),) + m[0].shape for m in out]}
"""


def escnn_cache_clearer(python: str):
    """A function that empties escnn's joblib disk cache (inside .venv-escnn only)."""
    where = "import importlib.util as u; print(u.find_spec('escnn').submodule_search_locations[0])"
    pkg = subprocess.run([python, "-c", where], capture_output=True, text=True, check=True)
    pkg = pkg.stdout.strip()
    cache = os.path.join(pkg, "group", "_cache", "joblib")
    if not os.path.realpath(cache).startswith(os.path.realpath(os.path.dirname(python) + "/..")):
        raise RuntimeError(f"refusing to delete {cache}: not inside the escnn virtualenv")
    return lambda: shutil.rmtree(cache, ignore_errors=True)


def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=7, help="timed repeats (fresh processes when cold)")
    p.add_argument("--escnn-repeats", type=int, default=3, help="repeats for escnn (slow)")
    p.add_argument("--timeout", type=float, default=300, help="seconds per escnn process")
    p.add_argument("--escnn-python", default=ESCNN_PYTHON)
    p.add_argument("--no-escnn", action="store_true", help="skip escnn even if installed")
    p.add_argument("--json", default=None, help="also write all results to this JSON file")
    a = p.parse_args(argv)

    R, E, T = a.repeats, a.escnn_repeats, a.timeout
    esc = None if a.no_escnn or not os.path.exists(a.escnn_python) else a.escnn_python
    print(f"# bench_group  {datetime.date.today()}  {machine()}")
    print(f"# steerable: {sys.executable}   escnn: {esc or 'not installed (make bench-escnn)'}")
    print(f"# load average at start: {load()}  (wall times on a shared machine vary with it)\n")

    def ref(*args, **kw):
        return time_snippet(*args, python=esc, timeout=T, **kw) if esc else None

    # 1. import cost ---------------------------------------------------------------------
    torch_imp = time_snippet("import torch", "import torch", cold=True, repeats=R)
    imp = time_snippet("import steerable", "import steerable", "import torch", cold=True, repeats=R)
    imp_g = time_snippet(
        "import steerable.group", "import steerable.group", "import torch", cold=True, repeats=R
    )
    imp_e = ref("import escnn", "import escnn", "import torch", cold=True, repeats=R)
    print("## 1. import cost on top of `import torch` (fresh interpreters, median)\n")
    print_table(
        [
            ("`import steerable`", imp, imp_e, 0.3),
            ("`import steerable.group`", imp_g, imp_e, 0.3),
            ("(`import torch` itself, for scale)", torch_imp, None, None),
        ]
    )

    # 2. icosahedral group, irreps, all CG ------------------------------------------------
    ico = time_snippet("ico", ICO, "from steerable.group import ico_group", cold=True, repeats=R)
    ico_e_first = ico_e_warm = None
    if esc:
        clear = escnn_cache_clearer(esc)
        ico_e_first = ref(
            "ico escnn first use",
            ESCNN_ICO,
            "from escnn.group import ico_group",
            cold=True,
            repeats=1,
            warmup=0,
            before_each=clear,
        )
        ico_e_warm = ref(
            "ico escnn disk cache warm",
            ESCNN_ICO,
            "from escnn.group import ico_group",
            cold=True,
            repeats=E,
            warmup=1,
        )
    print(
        "\n## 2. icosahedral group + all irreps + CG of all irrep pairs (fresh process, imports excluded)\n"
    )
    print_table(
        [
            ("cold, escnn's disk cache empty (first use)", ico, ico_e_first, 0.2),
            ("cold, escnn's disk cache warm", ico, ico_e_warm, 0.2),
        ]
    )
    print(f"\nsteerable: {ico.info}" + (f"\nescnn:     {ico_e_warm.info}" if esc and ico_e_warm.ok else ""))

    # 3. SO(3) irreps l <= 8 on 10,000 elements -------------------------------------------
    so3_el = time_snippet("so3 elements", SO3_ELEMENTS, SO3_SETUP, repeats=R, warmup=1)
    so3_el_cold = time_snippet("so3 elements cold", SO3_ELEMENTS, SO3_SETUP, cold=True, repeats=R)
    so3_wd = time_snippet("so3 wigner_D", SO3_WIGNER, SO3_SETUP, repeats=R, warmup=1)
    so3_e = ref("so3 escnn", ESCNN_SO3, ESCNN_SO3_SETUP, repeats=E, warmup=1)
    print("\n## 3. SO(3) irreps l = 0..8 on 10,000 elements (escnn: one element at a time, its only API)\n")
    print_table(
        [
            ("`G.irrep(l).matrices(elements)`, warm", so3_el, so3_e, 0.1),
            ("`G.irrep(l).matrices(elements)`, first call in a fresh process", so3_el_cold, so3_e, 0.1),
            ("`_so3_math.wigner_D(l, quaternions)`, warm", so3_wd, so3_e, 0.1),
        ]
    )

    print(f"\n# load average at end: {load()}")
    results = {
        "date": str(datetime.date.today()),
        "machine": machine(),
        "results": [
            r.to_dict()
            for r in (
                torch_imp,
                imp,
                imp_g,
                imp_e,
                ico,
                ico_e_first,
                ico_e_warm,
                so3_el,
                so3_el_cold,
                so3_wd,
                so3_e,
            )
            if r is not None
        ],
    }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"\nwrote {a.json}")


if __name__ == "__main__":
    main()
