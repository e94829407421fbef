"""Training on a rotated digit data set: metrics per epoch (JSON and CSV), checkpoints as plain
state_dicts, ``--resume``, best-on-validation selection, test at the end, single process or
data-parallel under torchrun.

Files of a run directory (only rank 0 writes; every file is written atomically):

* ``config.json``: the run's settings; ``metrics.json`` / ``metrics.csv``: one row per epoch;
  ``steps.csv``: the training loss of every step (of rank 0's share of the batch);
* ``best.pt``: the model's state_dict at the best validation accuracy so far;
* ``last.pt``: ``{"model", "optimizer", "scheduler", "epoch", "best_epoch", "best_val_accuracy"}``
  after the last finished epoch (what ``--resume`` continues from);
* ``result.json``: test accuracy of ``best.pt``, equivariance error, parameters, wall time.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..data import FULL_SIZES
from .errors import UsageError, require
from .evaluate import accuracy, equivariance_error, load_checkpoint
from .io import check_output_dir, read_csv, read_json, save_torch, write_csv, write_json

__all__ = ["TrainConfig", "PRESETS", "train", "make_progress"]

# Settings that --preset fills in (explicit options win). "e2cnn": the full-scale setup of the
# e2cnn paper's best rotated-MNIST model as far as documented (D16 regular fields for five
# layers, restricted to C16 for the last; 10k/2k/50k digits); epochs, optimizer and schedule
# are our choice (documented in README).
PRESETS = {
    "e2cnn": dict(
        model="d16c16",
        width=1.0,
        epochs=30,
        batch_size=64,
        lr=1e-3,
        lr_decay=0.9,
        weight_decay=0.0,
        sizes=FULL_SIZES,
    ),
}


@dataclass
class TrainConfig:
    dataset: str = "rotmnist"
    model: str = "c8"
    width: float = 1.0
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    lr_decay: float = 1.0  # multiplies the learning rate after every epoch
    weight_decay: float = 0.0
    device: str = "auto"
    seed: int = 0
    data_seed: int = 0
    sizes: tuple = FULL_SIZES
    eval_batch_size: int = 256
    time_limit_minutes: float | None = None
    preset: str | None = None
    extra: dict = field(default_factory=dict)

    def validate(self) -> None:
        from ..data import DATASETS
        from ..models import MODELS

        if self.dataset not in DATASETS:
            raise UsageError(f"unknown dataset {self.dataset!r}; expected one of {list(DATASETS)}")
        if self.model not in MODELS:
            raise UsageError(f"unknown model {self.model!r}; expected one of {sorted(MODELS)}")
        checks = [
            ("epochs", self.epochs >= 1),
            ("batch-size", self.batch_size >= 2),
            ("lr", self.lr > 0),
            ("width", self.width > 0),
            ("lr-decay", 0 < self.lr_decay <= 1),
            ("weight-decay", self.weight_decay >= 0),
            ("eval-batch-size", self.eval_batch_size >= 1),
        ]
        for name, ok in checks:
            if not ok:
                raise UsageError(f"invalid --{name}: {getattr(self, name.replace('-', '_'))}")
        sizes = tuple(self.sizes)
        if len(sizes) != 3 or any(not 1 <= s <= f for s, f in zip(sizes, FULL_SIZES)):
            raise UsageError(f"expected train/val/test sizes between 1 and {FULL_SIZES}, got {sizes}")
        self.sizes = tuple(int(s) for s in sizes)


def make_progress(enabled: bool, **kwargs):
    """A function wrapping an iterable in a tqdm bar, or ``None`` when disabled."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return lambda it: tqdm(it, dynamic_ncols=True, **kwargs)


def _prepare(cfg: TrainConfig, out: Path, resume: bool):
    """The checks of the output directory (and of the run to resume), before anything is written."""
    check_output_dir(out)
    if resume:
        if not (out / "last.pt").is_file():
            raise UsageError(f"--resume: {out / 'last.pt'} not found (nothing to resume)")
        saved = read_json(out / "config.json")
        for key in ("dataset", "model", "width", "sizes", "data_seed", "batch_size"):
            given = list(getattr(cfg, key)) if key == "sizes" else getattr(cfg, key)
            if saved.get(key) != given:
                raise UsageError(
                    f"--resume: run {out} was trained with {key}={saved.get(key)!r}, not {given!r}"
                )
    elif out.exists() and any(out.iterdir()):
        raise UsageError(
            f"output directory {out} is not empty; pass --resume to continue it or choose another --out"
        )


def train(cfg: TrainConfig, out, resume: bool = False, progress: bool = True, log=print) -> dict:
    """Train ``cfg.model`` on ``cfg.dataset``; returns the result written to ``result.json``."""
    from ..data import rotated_digits
    from ..models import build_model, is_equivariant
    from .distributed import init_distributed, shutdown

    out = Path(out)
    cfg.validate()
    if progress:
        require("tqdm", "progress", "progress bars")
    ctx = init_distributed(cfg.device)
    try:
        # rank 0 alone looks at the output directory (the others would race with its writes)
        # and tells every process the verdict
        problem = None
        if ctx.is_main:
            try:
                _prepare(cfg, out, resume)
            except UsageError as err:
                problem = str(err)
        problem = ctx.broadcast(problem)
        if problem is not None:
            raise UsageError(problem)
        result = _train(
            cfg,
            out,
            resume,
            progress and ctx.is_main,
            log if ctx.is_main else (lambda *a: None),
            ctx,
            rotated_digits,
            build_model,
            is_equivariant,
        )
        # rank 0 alone measures equivariance and writes result.json; a process that tears down
        # its gloo group while a peer is still connected can abort (SIGABRT) at exit
        ctx.barrier()
        return result
    finally:
        shutdown(ctx)


def _train(cfg, out, resume, progress, log, ctx, rotated_digits, build_model, is_equivariant):
    start_time = time.perf_counter()
    # rank 0 generates the data set (or reads the cache) first; the others then read the cache
    if ctx.is_main:
        data = rotated_digits(cfg.dataset, cfg.data_seed, cfg.sizes)
    ctx.barrier()
    if not ctx.is_main:
        data = rotated_digits(cfg.dataset, cfg.data_seed, cfg.sizes)
    x_train, y_train = data.tensors("train")
    x_val, y_val = data.tensors("val")
    if cfg.batch_size % ctx.world_size:
        raise UsageError(f"--batch-size {cfg.batch_size} is not divisible by the {ctx.world_size} processes")
    local_batch = cfg.batch_size // ctx.world_size

    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, cfg.width).to(ctx.device)
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=cfg.lr_decay)
    what = f"model {cfg.model!r} (width {cfg.width})"
    history, first_epoch, best_epoch, best_val = [], 1, 0, -1.0
    steps = []  # rank 0's loss of every training step (the fine-grained training curve)
    if resume:
        state = load_checkpoint(model, out / "last.pt", what, key="model")
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        first_epoch = int(state["epoch"]) + 1
        best_epoch, best_val = int(state["best_epoch"]), float(state["best_val_accuracy"])
        if (out / "metrics.json").is_file():
            history = [row for row in read_json(out / "metrics.json") if row["epoch"] < first_epoch]
        if (out / "steps.csv").is_file():
            steps = [r for r in read_csv(out / "steps.csv") if int(r["epoch"]) < first_epoch]
    if ctx.is_main:
        out.mkdir(parents=True, exist_ok=True)
        config = dataclasses.asdict(cfg)
        config["sizes"] = list(cfg.sizes)
        config.update(
            parameters=n_params,
            world_size=ctx.world_size,
            device=str(ctx.device),
            data_checksum=data.checksum,
        )
        write_json(out / "config.json", config)
    net = model
    if ctx.active:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None
        )
    sampler = torch.utils.data.distributed.DistributedSampler(
        range(x_train.shape[0]), num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=cfg.seed
    )
    log(
        f"{cfg.model}: {n_params:,} parameters, {x_train.shape[0]} training digits, "
        f"{ctx.world_size} process(es) on {ctx.device}"
    )
    epochs = range(first_epoch, cfg.epochs + 1)
    epoch_bar = make_progress(progress, desc=f"{cfg.model} epochs", unit="epoch")
    deadline = None if cfg.time_limit_minutes is None else start_time + 60.0 * cfg.time_limit_minutes
    stopped_early = False
    for epoch in epoch_bar(epochs) if epoch_bar else epochs:
        t0 = time.perf_counter()
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler), dtype=torch.long)
        batches = [order[i : i + local_batch] for i in range(0, order.numel(), local_batch)]
        batches = [b for b in batches if b.numel() >= 2]  # batch norm needs 2 samples
        net.train()
        loss_sum, correct, seen = 0.0, 0.0, 0
        bar = make_progress(progress, desc=f"epoch {epoch}", unit="batch", leave=False)
        for b in bar(batches) if bar else batches:
            xb, yb = x_train[b].to(ctx.device), y_train[b].to(ctx.device)
            logits = net(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.detach()) * b.numel()
            steps.append({"step": len(steps) + 1, "epoch": epoch, "loss": float(loss.detach())})
            correct += float((logits.argmax(1) == yb).sum())
            seen += b.numel()
            if deadline is not None:
                # one decision for all processes: DDP steps must stay in lockstep
                late = float(time.perf_counter() > deadline)
                if ctx.all_reduce_sum([late])[0] > 0:
                    stopped_early = True
                    break
        loss_sum, correct, seen = ctx.all_reduce_sum([loss_sum, correct, float(seen)])
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        val_acc, val_loss = accuracy(model, x_val, y_val, cfg.eval_batch_size, ctx)
        row = {
            "epoch": epoch,
            "train_loss": loss_sum / max(seen, 1),
            "train_accuracy": correct / max(seen, 1),
            "val_loss": val_loss,
            "val_accuracy": val_acc,
            "val_error_percent": 100.0 * (1.0 - val_acc),
            "lr": lr,
            "train_digits": int(seen),
            "epoch_seconds": time.perf_counter() - t0,
            "elapsed_seconds": time.perf_counter() - start_time,
        }
        history.append(row)
        improved = val_acc > best_val
        if improved:
            best_val, best_epoch = val_acc, epoch
        if ctx.is_main:
            if improved:
                save_torch(out / "best.pt", model.state_dict())
            save_torch(
                out / "last.pt",
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch,
                    "best_epoch": best_epoch,
                    "best_val_accuracy": best_val,
                },
            )
            write_json(out / "metrics.json", history)
            write_csv(out / "metrics.csv", history)
            write_csv(out / "steps.csv", steps)
        log(
            f"epoch {epoch}: train loss {row['train_loss']:.4f}, val error {row['val_error_percent']:.2f}%"
            f"{' (best)' if improved else ''}, {row['epoch_seconds']:.0f} s"
        )
        if stopped_early:
            log(f"time limit of {cfg.time_limit_minutes} min reached during epoch {epoch}; stopping")
            break
    ctx.barrier()  # best.pt is complete on disk
    train_seconds = time.perf_counter() - start_time
    load_checkpoint(model, out / "best.pt", what)
    x_test, y_test = data.tensors("test")
    test_bar = make_progress(progress, desc="test", unit="batch", leave=False)
    test_acc, test_loss = accuracy(model, x_test, y_test, cfg.eval_batch_size, ctx, progress=test_bar)
    equi = equivariance_error(model, x_test[:256]) if ctx.is_main else math.nan
    result = {
        "model": cfg.model,
        "dataset": cfg.dataset,
        "equivariant": is_equivariant(cfg.model),
        "parameters": n_params,
        "best_epoch": best_epoch,
        "epochs_run": history[-1]["epoch"] if history else 0,
        "stopped_by_time_limit": stopped_early,
        "val_accuracy": best_val,
        "test_digits": int(x_test.shape[0]),
        "test_accuracy": test_acc,
        "test_error_percent": 100.0 * (1.0 - test_acc),
        "test_loss": test_loss,
        "equivariance_error": equi,
        "train_seconds": train_seconds,
        "total_seconds": time.perf_counter() - start_time,
        "world_size": ctx.world_size,
        "device": str(ctx.device),
        "data_checksum": data.checksum,
    }
    if ctx.is_main:
        write_json(out / "result.json", result)
    log(
        f"{cfg.model}: test error {result['test_error_percent']:.2f}% on {x_test.shape[0]} digits "
        f"(best epoch {best_epoch}), equivariance error {equi:.1e}"
    )
    return result
