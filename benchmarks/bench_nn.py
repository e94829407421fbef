"""The core layers' targets (DESIGN.md section 6), measured side by side in one process.

1. Build the 6-conv C8 rotated-MNIST CNN of the escnn tutorial, fresh process, imports
   excluded                                                      target < 0.5 s (escnn: 16 s)
2. Training step (forward + backward + Adam) of that CNN vs the same network written with
   torch.nn.Conv2d on the same channel counts (``PlainCNN``)     target <= 1.05x plain
3. Eval-mode forward of the same two networks                     target <= 1.02x plain
4. SO(3) model: R3Conv 1 trivial -> 8 band-limited regular fields (L=2) -> 8 such, k=5, 16^3,
   FourierELU between (96-point grid), vs Conv3d + ELU of the same width  target <= 1.05x plain
5. Building that SO(3) model, fresh process, and its peak memory (VmHWM)  target < 1 s, <= 25% of
   escnn's (escnn measured with its disk cache emptied, then warm)

Ratios come from interleaved repeats in one process (steerable, plain, steerable, ...), so
machine load affects both sides alike. escnn runs under ``.venv-escnn/bin/python`` when present.

    python benchmarks/bench_nn.py [--repeats 7] [--batch 64] [--no-escnn] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, interleaved, print_table, time_snippet  # noqa: E402

ESCNN_PYTHON = os.path.join(ROOT, ".venv-escnn", "bin", "python")

ESCNN_C8 = """
from escnn import gspaces, nn
import torch
gs = gspaces.rot2dOnR2(8)
t_in = nn.FieldType(gs, [gs.trivial_repr])
layers = [nn.MaskModule(t_in, 29, margin=1)]
prev = t_in
for i, (w, k, p) in enumerate(zip((24, 48, 48, 96, 96, 64), (7, 5, 5, 5, 5, 5), (1, 2, 2, 2, 2, 1))):
    t = nn.FieldType(gs, [gs.regular_repr] * w)
    conv = nn.R2Conv(prev, t, kernel_size=k, padding=p, bias=False)
    layers += [conv, nn.InnerBatchNorm(t), nn.ReLU(t, inplace=True)]
    if i in (1, 3):
        layers.append(nn.PointwiseAvgPoolAntialiased(t, sigma=0.66, stride=2))
    prev = t
layers += [nn.PointwiseAvgPoolAntialiased(prev, sigma=0.66, stride=1, padding=0), nn.GroupPooling(prev)]
model = nn.SequentialModule(*layers)
"""


def _train_step(model, x, y, opt):
    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y) if y is not None else model(x).square().mean()
        loss.backward()
        opt.step()

    return step


def bench_c8(repeats: int, batch: int) -> dict:
    from steerable.models import C8SteerableCNN, PlainCNN

    torch.manual_seed(0)
    ours, plain = C8SteerableCNN(), PlainCNN()
    x = torch.randn(batch, 1, 29, 29)
    y = torch.randint(0, 10, (batch,))
    train = interleaved(
        {
            "steerable": _train_step(ours.train(), x, y, torch.optim.Adam(ours.parameters())),
            "plain": _train_step(plain.train(), x, y, torch.optim.Adam(plain.parameters())),
        },
        repeats,
    )
    ours.eval()
    plain.eval()

    def fwd(m):
        def run():
            with torch.no_grad():
                m(x)

        return run

    evals = interleaved({"steerable": fwd(ours), "plain": fwd(plain)}, repeats)
    return {"train": train, "eval": evals}


SO3_BUILD = """
gs = gspaces.rot3dOnR3()
so3 = gs.fibergroup
t0 = nn.FieldType(gs, [gs.trivial_repr])
act = nn.FourierELU(gs, 8, {irreps}, type="thomson_cube", N=4)
model = nn.SequentialModule(
    nn.R3Conv(t0, act.in_type, 5, padding=2), act, nn.R3Conv(act.out_type, act.out_type, 5, padding=2)
)
INFO = {{"peak_mb": _hwm_mb(), "base_mb": _BASE_MB}}
"""
# the peak resident set of this process image (VmHWM): ru_maxrss would carry over the peak of
# the (large) benchmark process that started the child, as it survives fork and exec
SO3_SETUP = """
import torch
from {lib} import gspaces, nn


def _hwm_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


_BASE_MB = _hwm_mb()
"""


def so3_model():
    """1 trivial -> 8 band-limited regular fields (L=2) -> the same, k=5, FourierELU between on the
    96-point 'thomson_cube' grid of SO(3) (the escnn SO(3) tutorial's nonlinearity)."""
    from steerable import gspaces, nn

    gs = gspaces.rot3dOnR3()
    t0 = nn.FieldType(gs, [gs.trivial_repr])
    act = nn.FourierELU(gs, 8, gs.fibergroup.bl_irreps(2), type="thomson_cube", N=4)
    model = nn.SequentialModule(
        nn.R3Conv(t0, act.in_type, 5, padding=2), act, nn.R3Conv(act.out_type, act.out_type, 5, padding=2)
    )

    class Plain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(nn.GeometricTensor(x, t0)).tensor

    return Plain(), act.in_type.size


def bench_so3(repeats: int, batch: int) -> dict:
    ours, width = so3_model()
    plain = torch.nn.Sequential(
        torch.nn.Conv3d(1, width, 5, padding=2), torch.nn.ELU(), torch.nn.Conv3d(width, width, 5, padding=2)
    )
    x = torch.randn(batch, 1, 16, 16, 16)
    return {
        "train": interleaved(
            {
                "steerable": _train_step(ours, x, None, torch.optim.Adam(ours.parameters())),
                "plain": _train_step(plain, x, None, torch.optim.Adam(plain.parameters())),
            },
            repeats,
        )
    }


def bench_so3_build(escnn: bool) -> tuple:
    ours = time_snippet(
        "SO(3) FourierELU model build",
        SO3_BUILD.format(irreps="so3.bl_irreps(2)"),
        SO3_SETUP.format(lib="steerable"),
        cold=True,
        repeats=5,
    )
    refs = {}
    if escnn:
        from bench_group import escnn_cache_clearer

        clear = escnn_cache_clearer(ESCNN_PYTHON)
        for state in ("cold", "warm"):  # escnn's joblib disk cache emptied, then as filled by it
            if state == "cold":
                clear()
            refs[state] = time_snippet(
                f"SO(3) FourierELU model build (escnn, cache {state})",
                SO3_BUILD.format(irreps="so3.bl_irreps(2)"),
                SO3_SETUP.format(lib="escnn"),
                python=ESCNN_PYTHON,
                cold=True,
                repeats=1,
                warmup=0,
                timeout=900,
            )
    return ours, refs


def _row(label, pair, target):
    (ws, cs), (wp, cp) = pair["steerable"], pair["plain"]
    ratio = ws / wp
    return (
        f"| {label} | {ws * 1e3:.0f} ms | {wp * 1e3:.0f} ms | {ratio:.3f}x | {cs / cp:.3f}x | <= {target}x | "
        f"{'yes' if ratio <= target else 'NO'} |"
    )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--batch3d", type=int, default=2)
    p.add_argument("--no-escnn", action="store_true")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    print(
        f"# bench_nn  {datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cpus  torch {torch.__version__}  threads {torch.get_num_threads()}\n"
    )

    build = time_snippet(
        "C8 CNN build",
        "model = C8SteerableCNN()",
        "from steerable.models import C8SteerableCNN",
        cold=True,
        repeats=5,
    )
    ref = None
    if not args.no_escnn:
        ref = time_snippet(
            "C8 CNN build (escnn)",
            ESCNN_C8,
            "",
            python=ESCNN_PYTHON,
            cold=True,
            repeats=1,
            warmup=0,
            timeout=900,
        )
    print("## 1. building the C8 tutorial CNN (fresh process, imports excluded)\n")
    print_table([("C8 CNN build", build, ref, 0.5)])

    c8 = bench_c8(args.repeats, args.batch)
    print(f"\n## 2-3. C8 CNN, batch {args.batch}, 29x29 (interleaved medians of {args.repeats})\n")
    print("| what | steerable | plain | wall ratio | CPU ratio | target | met |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(_row("train step (fwd+bwd+Adam)", c8["train"], 1.05))
    print(_row("eval forward", c8["eval"], 1.02))

    so3 = bench_so3(max(3, args.repeats // 2), args.batch3d)
    print(f"\n## 4. SO(3) two-conv model with FourierELU, batch {args.batch3d}, 16^3\n")
    print("| what | steerable | plain | wall ratio | CPU ratio | target | met |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(_row("train step (fwd+bwd+Adam)", so3["train"], 1.05))
    so3_build, so3_refs = bench_so3_build(escnn=ref is not None)
    so3_ref = so3_refs.get("cold")
    print("\n## 5. building the SO(3) FourierELU model (fresh process, imports excluded)\n")
    rows = [("SO(3) FourierELU model build, escnn cache emptied", so3_build, so3_ref, 1.0)]
    if so3_refs:
        rows.append(("SO(3) FourierELU model build, escnn cache warm", so3_build, so3_refs["warm"], 1.0))
    print_table(rows)
    for label, r in [("steerable", so3_build)] + [(f"escnn (cache {k})", v) for k, v in so3_refs.items()]:
        if r is not None and r.info:
            peak = r.info.get("peak_mb")
            extra = peak - r.info["base_mb"]
            print(f"- peak memory, {label}: {peak:.0f} MB (+{extra:.0f} MB over the imports)")
    print(f"\n# load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "build": build.to_dict(),
                    "escnn_build": None if ref is None else ref.to_dict(),
                    "c8": c8,
                    "so3": so3,
                    "so3_build": so3_build.to_dict(),
                    "escnn_so3_build": {k: v.to_dict() for k, v in so3_refs.items()},
                },
                f,
                indent=1,
                default=str,
            )


if __name__ == "__main__":
    main()
