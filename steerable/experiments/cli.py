"""The command line: ``steerable train | eval | report | demo | check`` (also ``python -m steerable``).

Multi-process data-parallel training: ``torchrun --nproc_per_node=N -m steerable train ...``.
Errors in the user's input are one line on stderr (``steerable: error: ...``) and exit status 2,
and are detected before anything is written.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

DATASETS = ("rotmnist", "rotfashion")
MODEL_NAMES = ("c8", "cnn", "c16", "d16", "d16c16")


def _log(*args):
    """Print a line; through tqdm when it is installed, so that progress bars stay intact."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        sys.stdout.write(" ".join(str(a) for a in args) + "\n")  # the command line's output
        sys.stdout.flush()
        return
    tqdm.write(" ".join(str(a) for a in args))


PRESET_NAMES = ("e2cnn",)  # steerable.experiments.train.PRESETS (not imported here: it loads torch)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="steerable",
        description="steerable: train, evaluate and report equivariant models on rotated MNIST",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser(
        "train",
        help="train a model (torchrun --nproc_per_node=N -m steerable train ... for data-parallel training)",
    )
    t.add_argument(
        "dataset",
        choices=DATASETS,
        help="rotmnist (needs the data extra) or rotfashion (needs the Debian package dataset-fashion-mnist)",
    )
    t.add_argument("--model", choices=MODEL_NAMES, default=None, help="default: c8 (or the preset's)")
    t.add_argument(
        "--preset",
        choices=PRESET_NAMES,
        default=None,
        help="e2cnn: the full-scale D16|5 C16 setup (see README)",
    )
    t.add_argument("--width", type=float, default=None, help="channel multiplier (default 1)")
    t.add_argument("--epochs", type=int, default=None, help="default 10")
    t.add_argument("--batch-size", type=int, default=None, help="global batch size (default 64)")
    t.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 1e-3)")
    t.add_argument("--lr-decay", type=float, default=None, help="learning-rate factor per epoch (default 1)")
    t.add_argument("--weight-decay", type=float, default=None, help="default 0")
    t.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")
    t.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the shuffling")
    t.add_argument("--data-seed", type=int, default=0, help="seed of the data set's digits and angles")
    _size_args(t)
    t.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="MINUTES",
        help="stop training after this many minutes (then select the best epoch and test)",
    )
    t.add_argument("--out", required=True, help="run directory, e.g. runs/NAME")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("eval", help="evaluate a run's checkpoint")
    e.add_argument("run", help="run directory written by `steerable train`")
    e.add_argument("--checkpoint", default=None, help="default: RUN/best.pt")
    e.add_argument("--split", choices=("train", "val", "test"), default="test")
    e.add_argument("--device", default="auto")
    e.add_argument("--batch-size", type=int, default=256)
    e.add_argument("--no-progress", action="store_true")
    e.set_defaults(func=_cmd_eval)

    r = sub.add_parser("report", help="PNG plots of trained runs")
    r.add_argument("runs", nargs="+", help="run directories")
    r.add_argument("--out", required=True, help="directory for the PNG files")
    r.add_argument("--digits", type=int, default=500, help="test digits in the angle sweep")
    r.add_argument("--angles", type=int, default=24, help="angle steps over 360 degrees")
    r.add_argument("--device", default="cpu")
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(func=_cmd_report)

    d = sub.add_parser("demo", help="train the C8 model and the CNN baseline briefly, print a table, plot")
    d.add_argument("--out", default="runs/demo")
    d.add_argument("--epochs", type=int, default=2)
    d.add_argument("--width", type=float, default=0.25, help="channel multiplier of both models")
    d.add_argument("--batch-size", type=int, default=64)
    d.add_argument("--lr", type=float, default=2e-3)
    d.add_argument("--device", default="auto")
    _size_args(d, (4000, 1000, 10000))
    d.add_argument("--skip-checks", action="store_true", help="skip the group and layer self-checks")
    d.add_argument("--no-progress", action="store_true")
    d.set_defaults(func=_cmd_demo)

    c = sub.add_parser("check", help="quick self-checks: groups' irreps and the C8 CNN's invariance")
    c.set_defaults(func=_cmd_check)
    return parser


def _size_args(p, defaults=(None, None, None)):
    from ..data import FULL_SIZES

    for name, default, full in zip(("train", "val", "test"), defaults, FULL_SIZES):
        p.add_argument(
            f"--{name}-size",
            type=int,
            default=default,
            help=f"digits of the {name} split (default {default or full}, at most {full})",
        )


def _sizes(args):
    from ..data import FULL_SIZES

    given = (args.train_size, args.val_size, args.test_size)
    return tuple(g if g is not None else f for g, f in zip(given, FULL_SIZES))


def _cmd_train(args) -> int:
    from .train import PRESETS, TrainConfig, train

    base = dict(PRESETS[args.preset]) if args.preset else {}
    cfg = TrainConfig(
        dataset=args.dataset,
        device=args.device,
        seed=args.seed,
        data_seed=args.data_seed,
        time_limit_minutes=args.time_limit,
        preset=args.preset,
    )
    for key in ("model", "width", "epochs", "batch_size", "lr", "lr_decay", "weight_decay"):
        value = getattr(args, key)
        if value is not None:
            setattr(cfg, key, value)
        elif key in base:
            setattr(cfg, key, base[key])
    cfg.sizes = base.get("sizes", _sizes(args))
    if any(s is not None for s in (args.train_size, args.val_size, args.test_size)):
        cfg.sizes = _sizes(args)
    train(cfg, Path(args.out), resume=args.resume, progress=not args.no_progress, log=_log)
    return 0


def _cmd_eval(args) -> int:
    from .errors import require
    from .evaluate import evaluate_run
    from .io import write_json

    if not args.no_progress:
        require("tqdm", "progress", "progress bars")
    res = evaluate_run(
        args.run, args.checkpoint, args.split, args.device, args.batch_size, progress=not args.no_progress
    )
    write_json(Path(args.run) / f"eval-{args.split}.json", res)
    _log(
        f"{res['model']} on {res['n']} {res['split']} digits: error {res['error_percent']:.2f}% "
        f"(accuracy {100 * res['accuracy']:.2f}%), equivariance error {res['equivariance_error']:.1e}"
    )
    return 0


def _cmd_report(args) -> int:
    from .report import make_report

    make_report(
        args.runs, args.out, args.digits, args.angles, args.device, progress=not args.no_progress, log=_log
    )
    return 0


def _cmd_check(args) -> int:
    from .checks import run_checks

    return 0 if run_checks(_log) else 1


def _cmd_demo(args) -> int:
    from .errors import require
    from .io import check_output_dir
    from .report import make_report
    from .train import TrainConfig, train

    require("matplotlib", "plots", "the demo's plots")
    if not args.no_progress:
        require("tqdm", "progress", "progress bars")
    out = Path(args.out)
    check_output_dir(out)
    start = time.perf_counter()
    if not args.skip_checks:
        from .checks import run_checks

        if not run_checks(_log):
            return 1
        _log("")
    results = {}
    for name in ("c8", "cnn"):
        run = out / name
        if (run / "config.json").is_file():  # a previous demo's run: replace it
            shutil.rmtree(run)
        cfg = TrainConfig(
            dataset="rotmnist",
            model=name,
            width=args.width,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            device=args.device,
            sizes=_sizes(args),
        )
        _log(f"\n== training {name} ==")
        results[name] = train(cfg, run, progress=not args.no_progress, log=_log)
    header = ("model", "test error (%)", "equivariance error", "parameters", "wall time (s)")
    rows = [
        (
            name,
            f"{r['test_error_percent']:.2f}",
            f"{r['equivariance_error']:.1e}",
            f"{r['parameters']:,}",
            f"{r['total_seconds']:.0f}",
        )
        for name, r in results.items()
    ]
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    n_test = results["c8"]["test_digits"]
    lines = [
        f"rotated MNIST: {_sizes(args)[0]} training digits, {args.epochs} epochs, test on {n_test} "
        "rotated digits; equivariance error = relative change of the logits under 90-degree turns"
    ]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in [header] + rows]
    _log("\n" + "\n".join(lines))
    _log("")
    make_report([out / "c8", out / "cnn"], out, progress=not args.no_progress, log=_log)
    from .io import write_json, write_text

    write_text(out / "results.txt", "\n".join(lines) + "\n")
    write_json(out / "results.json", results)
    total = time.perf_counter() - start
    c8_err, cnn_err = (results[m]["test_error_percent"] for m in ("c8", "cnn"))
    _log(
        f"\ndemo finished in {total:.0f} s; the C8 model {'beats' if c8_err < cnn_err else 'does NOT beat'} "
        f"the CNN baseline ({c8_err:.2f}% vs {cnn_err:.2f}% test error)"
    )
    return 0


def main(argv=None) -> int:
    from ..data import DataUnavailableError
    from .errors import MissingExtraError, UsageError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, MissingExtraError, DataUnavailableError) as err:
        sys.stderr.write(f"steerable: error: {err}\n")
        return 2
    except OSError as err:  # e.g. a disk that fills up, a directory that became read-only
        sys.stderr.write(f"steerable: error: {err}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("steerable: interrupted\n")
        return 130
