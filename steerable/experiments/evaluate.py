"""Evaluation: accuracy (sharded over processes), equivariance error, checkpoint loading."""

from __future__ import annotations

from pathlib import Path

import torch

from .errors import CheckpointMismatchError, UsageError

__all__ = ["accuracy", "equivariance_error", "load_checkpoint", "evaluate_run"]


@torch.no_grad()
def accuracy(model, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256, ctx=None, progress=None):
    """``(accuracy, mean cross-entropy)`` of ``model`` on ``(x, y)``; with a distributed context,
    each process evaluates every ``world_size``-th sample and the sums are all-reduced."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    rank, world = (ctx.rank, ctx.world_size) if ctx is not None else (0, 1)
    idx = torch.arange(rank, x.shape[0], world)
    correct, loss_sum = 0.0, 0.0
    batches = range(0, idx.numel(), batch_size)
    for start in progress(batches) if progress else batches:
        b = idx[start : start + batch_size]
        xb, yb = x[b].to(device), y[b].to(device)
        logits = model(xb).float()
        correct += float((logits.argmax(1) == yb).sum())
        loss_sum += float(torch.nn.functional.cross_entropy(logits, yb, reduction="sum"))
    total = float(x.shape[0])
    if ctx is not None:
        correct, loss_sum = ctx.all_reduce_sum([correct, loss_sum])
    model.train(was_training)
    return correct / total, loss_sum / total


@torch.no_grad()
def equivariance_error(model, x: torch.Tensor) -> float:
    """Mean relative change of the logits when the input turns by 90, 180, 270 degrees (exact
    symmetries of the pixel grid): ``||f(R x) - f(x)|| / ||f(x)||``. ~1e-7 for an invariant
    model in float32, order 1 for a conventional CNN."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x = x.to(device)
    ref = model(x)
    errors = [float((model(torch.rot90(x, k, dims=(-2, -1))) - ref).norm() / ref.norm()) for k in (1, 2, 3)]
    model.train(was_training)
    return sum(errors) / len(errors)


def load_checkpoint(model: torch.nn.Module, path, what: str, key: str | None = None) -> dict:
    """Load a plain state_dict (``torch.load(weights_only=True)``) into ``model``, after checking
    that its keys and shapes fit; ``key`` picks an entry of a training-state checkpoint. Returns
    the whole loaded object."""
    path = Path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise UsageError(f"checkpoint {path} not found") from err
    except Exception as err:  # noqa: BLE001  (torch raises many types for a damaged file)
        raise UsageError(f"cannot read checkpoint {path}: {type(err).__name__}: {err}") from err
    state = obj.get(key) if key is not None and isinstance(obj, dict) else obj
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointMismatchError(
            f"checkpoint {path} holds no model state_dict{f' under {key!r}' if key else ''}"
        )
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {unexpected[0]})")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatches (e.g. {shapes[0]})")
        raise CheckpointMismatchError(
            f"checkpoint {path} was not saved from {what}: "
            + ", ".join(parts)
            + "; pass the checkpoint of a run of this model, or the run's own --model/--width"
        )
    model.load_state_dict(state)
    return obj


def evaluate_run(
    run_dir,
    checkpoint=None,
    split: str = "test",
    device: str = "auto",
    batch_size: int = 256,
    progress: bool = True,
) -> dict:
    """Evaluate a run's checkpoint (default: its ``best.pt``) on a split of its data set."""
    from ..data import rotated_digits
    from ..models import build_model
    from .distributed import _resolve_device
    from .io import read_json
    from .train import make_progress

    run_dir = Path(run_dir)
    cfg = read_json(run_dir / "config.json")
    if split not in ("train", "val", "test"):
        raise UsageError(f"expected split train, val or test, got {split!r}")
    checkpoint = Path(checkpoint) if checkpoint is not None else run_dir / "best.pt"
    dev = _resolve_device(device, 0)
    torch.manual_seed(0)
    model = build_model(cfg["model"], cfg["width"]).to(dev)
    what = f"model {cfg['model']!r} (width {cfg['width']}) of run {run_dir}"
    load_checkpoint(model, checkpoint, what)
    data = rotated_digits(cfg["dataset"], cfg["data_seed"], cfg["sizes"])
    x, y = data.tensors(split)
    bar = make_progress(progress, desc=f"eval {split}", unit="batch")
    acc, loss = accuracy(model, x, y, batch_size, progress=bar)
    equi = equivariance_error(model, x[:256])
    return {
        "run": str(run_dir),
        "checkpoint": str(checkpoint),
        "model": cfg["model"],
        "dataset": cfg["dataset"],
        "split": split,
        "n": int(x.shape[0]),
        "accuracy": acc,
        "error_percent": 100.0 * (1.0 - acc),
        "loss": loss,
        "equivariance_error": equi,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
