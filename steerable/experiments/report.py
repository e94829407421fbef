"""``steerable report``: PNG plots of trained runs.

* ``accuracy_vs_angle.png``: test accuracy as a function of the input rotation angle (upright
  test digits turned by each angle), equivariant models next to the CNN baseline;
* ``training_curves.png``: training loss and validation error per epoch;
* ``feature_maps.png``: a feature map of an equivariant model rotating with its input, next to
  the CNN's (which does not).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from .errors import UsageError, require
from .evaluate import load_checkpoint
from .io import check_output_dir, read_csv, read_json, write_json

__all__ = ["make_report", "feature_map"]

FEATURE_ANGLES = (0, 45, 90, 180)


def _load_run(run_dir: Path, device):
    from ..models import build_model, is_equivariant

    cfg = read_json(run_dir / "config.json")
    metrics = read_json(run_dir / "metrics.json")
    steps = read_csv(run_dir / "steps.csv") if (run_dir / "steps.csv").is_file() else []
    torch.manual_seed(0)
    model = build_model(cfg["model"], cfg["width"]).to(device)
    load_checkpoint(model, run_dir / "best.pt", f"model {cfg['model']!r} of run {run_dir}")
    return {
        "dir": run_dir,
        "cfg": cfg,
        "metrics": metrics,
        "steps": steps,
        "model": model.eval(),
        "equivariant": is_equivariant(cfg["model"]),
        "label": cfg["model"] if run_dir.name == cfg["model"] else f"{cfg['model']} ({run_dir.name})",
    }


@torch.no_grad()
def feature_map(model: torch.nn.Module, x: torch.Tensor, depth: int = 2) -> torch.Tensor:
    """The feature maps after the ``depth``-th nonlinearity, ``(B, C, H, W)``. For a steerable
    model each regular field is max-pooled over its group channels (an invariant map, which
    rotates with the input exactly like a scalar image)."""
    from .. import nn as enn

    if hasattr(model, "input_type"):  # steerable: walk the SequentialModule
        h = enn.GeometricTensor(x, model.input_type)
        seen = 0
        for module in model.features:
            h = module(h)
            if isinstance(module, enn.PointwiseNonLinearity) or type(module).__name__ in ("ReLU", "ELU"):
                seen += 1
                if seen == depth:
                    sizes = [r.size for r in h.type.representations]
                    return h.tensor.reshape(
                        h.tensor.shape[0], len(sizes), sizes[0], *h.tensor.shape[2:]
                    ).amax(2)
        raise ValueError(f"the model has fewer than {depth} nonlinearities")
    seen = 0
    h = x
    for module in model.features:
        h = module(h)
        if isinstance(module, (torch.nn.ReLU, torch.nn.ELU)):
            seen += 1
            if seen == depth:
                return h
    raise ValueError(f"the model has fewer than {depth} nonlinearities")


def _index_in_epoch(steps):
    """Each step's position within its epoch (0, 1, ...), in order."""
    counts = {}
    for row in steps:
        counts[row["epoch"]] = counts.get(row["epoch"], -1) + 1
        yield counts[row["epoch"]]


def _savefig(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_report(
    run_dirs,
    out,
    n_digits: int = 500,
    n_angles: int = 24,
    device: str = "cpu",
    progress: bool = True,
    log=print,
) -> dict:
    """Write the report's PNGs (and ``report.json`` with the plotted numbers) to ``out``."""
    require("matplotlib", "plots", "steerable report (PNG plots)")
    if progress:
        require("tqdm", "progress", "progress bars")
    if not run_dirs:
        raise UsageError("expected at least one run directory")
    if n_digits < 1 or n_angles < 1:
        raise UsageError(f"expected --digits >= 1 and --angles >= 1, got {n_digits}, {n_angles}")
    out = Path(out)
    check_output_dir(out)
    dev = torch.device(device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    runs = [_load_run(Path(d), dev) for d in run_dirs]
    datasets = {(r["cfg"]["dataset"], r["cfg"]["data_seed"], tuple(r["cfg"]["sizes"])) for r in runs}
    if len(datasets) != 1:
        raise UsageError(f"the runs were trained on different data sets: {sorted(datasets)}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from ..data import rotate_images, rotated_digits
    from .train import make_progress

    name, seed, sizes = datasets.pop()
    data = rotated_digits(name, seed, sizes)
    upright, labels = data.upright("test", n_digits)
    angles = np.linspace(0.0, 360.0, n_angles + 1)
    y = torch.from_numpy(labels)
    sweep = {r["label"]: [] for r in runs}
    bar = make_progress(progress, desc="accuracy vs angle", unit="angle")
    for deg in bar(angles) if bar else angles:
        x = torch.from_numpy(rotate_images(upright, np.full(len(upright), np.radians(deg))) / 255.0)
        x = x.float().unsqueeze(1)
        for r in runs:
            with torch.no_grad():
                pred = torch.cat(
                    [r["model"](x[i : i + 256].to(dev)).argmax(1).cpu() for i in range(0, len(x), 256)]
                )
            sweep[r["label"]].append(float((pred == y).float().mean()))
    out.mkdir(parents=True, exist_ok=True)
    files = {}

    fig, ax = plt.subplots(figsize=(7, 4))
    for r in runs:
        ax.plot(
            angles,
            100 * np.array(sweep[r["label"]]),
            marker="o",
            ms=3,
            label=r["label"] + (" equivariant" if r["equivariant"] else ""),
        )
    for q in (90, 180, 270):
        ax.axvline(q, color="0.85", lw=0.8, zorder=0)
    ax.set(
        xlabel="rotation of the input (degrees)",
        ylabel="test accuracy (%)",
        xticks=range(0, 361, 45),
        title=f"accuracy vs input rotation ({len(upright)} upright test digits, turned)",
    )
    ax.legend()
    files["accuracy_vs_angle"] = out / "accuracy_vs_angle.png"
    _savefig(fig, files["accuracy_vs_angle"])
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for r in runs:
        steps = r["steps"]
        if steps:  # per-step loss, smoothed over ~20 steps, against the (fractional) epoch
            per_epoch = {}
            for row in steps:
                per_epoch[row["epoch"]] = per_epoch.get(row["epoch"], 0) + 1
            x = [
                row["epoch"] - 1 + (j + 1) / per_epoch[row["epoch"]]
                for row, j in zip(steps, _index_in_epoch(steps))
            ]
            loss = np.array([row["loss"] for row in steps])
            k = max(1, min(20, len(loss) // 10))
            smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
            axes[0].plot(x[k - 1 :], smooth, label=r["label"])
        ep = [m["epoch"] for m in r["metrics"]]
        axes[1].plot(ep, [m["val_error_percent"] for m in r["metrics"]], marker="o", label=r["label"])
    axes[0].set(xlabel="epoch", ylabel="training loss", title="training loss (per step, smoothed)")
    axes[1].set(xlabel="epoch", ylabel="validation error (%)", title="validation error", yscale="log")
    axes[1].xaxis.get_major_locator().set_params(integer=True)
    axes[1].yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    axes[1].yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    for a in axes:
        a.legend()
    fig.tight_layout()
    files["training_curves"] = out / "training_curves.png"
    _savefig(fig, files["training_curves"])
    plt.close(fig)

    shown = [
        next((r for r in runs if r["equivariant"]), None),
        next((r for r in runs if not r["equivariant"]), None),
    ]
    shown = [r for r in shown if r is not None]
    digit = upright[:1]
    imgs = [rotate_images(digit, np.array([np.radians(a)]))[0] / 255.0 for a in FEATURE_ANGLES]
    x = torch.tensor(np.stack(imgs), dtype=torch.float32).unsqueeze(1)
    fig, axes = plt.subplots(
        1 + len(shown), len(FEATURE_ANGLES), figsize=(2.2 * len(FEATURE_ANGLES), 2.3 * (1 + len(shown)))
    )
    for j, a in enumerate(FEATURE_ANGLES):
        axes[0, j].imshow(imgs[j], cmap="gray")
        axes[0, j].set_title(f"input turned {a}°", fontsize=9)
    equi_errors = {}
    for i, r in enumerate(shown, start=1):
        with torch.no_grad():
            maps = feature_map(r["model"], x.to(dev)).cpu()
        c = int(maps[0].flatten(1).std(1).argmax())  # the most structured channel
        quarter = torch.rot90(maps[2:3, c], -1, dims=(-2, -1))  # the 90-degree map turned back
        err = float((quarter - maps[0:1, c]).norm() / maps[0:1, c].norm())
        equi_errors[r["label"]] = err
        for j in range(len(FEATURE_ANGLES)):
            axes[i, j].imshow(maps[j, c].numpy(), cmap="viridis")
        axes[i, 0].set_ylabel(f"{r['cfg']['model']}\n90° error {err:.1e}", fontsize=9)
    for a in axes.flat:
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle(
        "a feature map after the second layer (steerable: pooled over each field's group channels)",
        fontsize=9,
    )
    files["feature_maps"] = out / "feature_maps.png"
    _savefig(fig, files["feature_maps"])
    plt.close(fig)

    summary = {
        "runs": [str(r["dir"]) for r in runs],
        "angles_degrees": angles.tolist(),
        "accuracy_vs_angle": sweep,
        "feature_map_90_degree_error": equi_errors,
        "files": {k: str(v) for k, v in files.items()},
    }
    write_json(out / "report.json", summary)
    for path in files.values():
        log(f"wrote {path}")
    return summary
