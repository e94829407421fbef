"""torch.compile of a whole steerable model, side by side with the same plain-torch network.

The C8 rotated-MNIST CNN of the escnn tutorial (``C8SteerableCNN``) and ``PlainCNN`` (the same
network with torch.nn.Conv2d on the same channel counts), each in eager mode and compiled with
``torch.compile(model, fullgraph=True)`` (inductor unless ``--backend``):

1. the first call of the compiled train step (compilation included), per model;
2. train step (forward + backward + Adam) and eval forward, interleaved medians of the pair
   (steerable, plain): eager first, before anything is compiled in the process, then compiled.

Inference: compiled, the steerable model expands its filters on every call (the eval-mode cache
is a Python side effect that compilation skips), so the recommended path, ``export()`` to plain
torch and then compile, is measured too. There is no escnn column: a small escnn model (R2Conv,
InnerBatchNorm, ReLU, GroupPooling) fails ``torch.compile(fullgraph=True)`` with a
data-dependent guard (checked 2026-12-01, escnn 1.0.11, torch 2.13, ``aot_eager``).

    python benchmarks/bench_compile.py [--repeats 5] [--batch 32] [--backend inductor] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_nn import _train_step  # noqa: E402
from harness import interleaved  # noqa: E402


def _first_call_seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _eval_forward(model, x):
    def run():
        with torch.no_grad():
            model(x)

    return run


def bench(repeats: int, batch: int, backend: str) -> dict:
    from steerable.models import C8SteerableCNN, PlainCNN

    torch.manual_seed(0)
    x = torch.randn(batch, 1, 29, 29)
    y = torch.randint(0, 10, (batch,))
    models = {"steerable": C8SteerableCNN().train(), "plain": PlainCNN().train()}
    # eager pairs first, before anything is compiled in this process; then the compiled pairs
    eager_train = interleaved(
        {k: _train_step(m, x, y, torch.optim.Adam(m.parameters())) for k, m in models.items()}, repeats
    )
    for m in models.values():
        m.eval()
    eager_eval = interleaved({k: _eval_forward(m, x) for k, m in models.items()}, repeats)
    for m in models.values():
        m.train()
    compiled = {k: torch.compile(m, fullgraph=True, backend=backend) for k, m in models.items()}
    steps, compile_seconds = {}, {}
    for k in models:
        steps[k] = _train_step(compiled[k], x, y, torch.optim.Adam(models[k].parameters()))
        compile_seconds[k] = _first_call_seconds(steps[k])
    compiled_train = interleaved(steps, repeats)
    for m in models.values():
        m.eval()
    evals = {}
    for k in models:
        evals[k] = _eval_forward(compiled[k], x)
        compile_seconds[f"{k} eval"] = _first_call_seconds(evals[k])
    # compiled, the steerable model expands its filters on every call (the eval cache is a
    # Python-side effect); for inference, export() to plain torch first, then compile
    exported = torch.compile(models["steerable"].export().eval(), fullgraph=True, backend=backend)
    evals["steerable exported"] = _eval_forward(exported, x)
    compile_seconds["steerable exported eval"] = _first_call_seconds(evals["steerable exported"])
    compiled_eval = interleaved(evals, repeats)

    def merge(eager, comp):
        out = {f"{k} eager": v for k, v in eager.items()}
        out.update({f"{k} compiled": v for k, v in comp.items()})
        return out

    return {
        "compile_seconds": compile_seconds,
        "train": merge(eager_train, compiled_train),
        "eval": merge(eager_eval, compiled_eval),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--backend", default="inductor")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    print(
        f"# bench_compile  {datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cpus  torch {torch.__version__}  threads {torch.get_num_threads()}  "
        f"backend {args.backend}\n"
    )
    r = bench(args.repeats, args.batch, args.backend)
    c = r["compile_seconds"]
    print("## 1. first call of the compiled model (compilation included)\n")
    print("| model | train step | eval forward |")
    print("| --- | --- | --- |")
    for k in ("steerable", "plain"):
        print(f"| {k} | {c[k]:.1f} s | {c[f'{k} eval']:.1f} s |")
    print(f"| steerable, export() | - | {c['steerable exported eval']:.1f} s |")
    for mode in ("train", "eval"):
        t = {k: v[0] for k, v in r[mode].items()}
        what = "train step (fwd+bwd+Adam)" if mode == "train" else "eval forward"
        print(f"\n## 2. {what}, batch {args.batch}, 29x29 (interleaved medians of {args.repeats})\n")
        print("| model | eager | compiled | compiled / eager |")
        print("| --- | --- | --- | --- |")
        for k in ("steerable", "plain"):
            e, cm = t[f"{k} eager"], t[f"{k} compiled"]
            print(f"| {k} | {_ms(e)} | {_ms(cm)} | {cm / e:.3f}x |")
        if mode == "eval":
            e, cm = t["steerable eager"], t["steerable exported compiled"]
            print(f"| steerable, export() then compiled | {_ms(e)} | {_ms(cm)} | {cm / e:.3f}x |")
        print(
            f"\nsteerable / plain: eager {t['steerable eager'] / t['plain eager']:.3f}x, "
            f"compiled {t['steerable compiled'] / t['plain compiled']:.3f}x"
        )
        if mode == "eval":
            print(
                f"steerable export() compiled / plain compiled: "
                f"{t['steerable exported compiled'] / t['plain compiled']:.3f}x"
            )
    print(f"\n# load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), **r}, f, indent=1, default=str)


if __name__ == "__main__":
    main()
