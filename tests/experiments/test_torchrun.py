"""Data-parallel training with PyTorch's engine: ``torchrun --nproc_per_node=2 -m steerable train``
on CPU (gloo) for a few steps gives the same run directory as one process."""

import json
import os
import subprocess
import sys

import torch


def test_two_process_torchrun_training(tmp_path, cache_dir):
    out = tmp_path / "ddp"
    env = dict(os.environ, STEERABLE_CACHE_DIR=str(cache_dir), OMP_NUM_THREADS="1")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "steerable",
        "train",
        "rotmnist",
        "--model",
        "c8",
        "--width",
        "0.1",
        "--epochs",
        "2",
        "--train-size",
        "40",
        "--val-size",
        "10",
        "--test-size",
        "11",
        "--batch-size",
        "8",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert {p.name for p in out.iterdir()} == {
        "config.json",
        "metrics.json",
        "metrics.csv",
        "best.pt",
        "last.pt",
        "result.json",
        "steps.csv",
    }
    result = json.loads((out / "result.json").read_text())
    assert result["world_size"] == 2 and result["test_digits"] == 11 and result["epochs_run"] == 2
    metrics = json.loads((out / "metrics.json").read_text())
    # each process trains on its half of the 40 digits (5 steps of 4); the counts are all-reduced
    assert [m["train_digits"] for m in metrics] == [40, 40]
    # the sharded test accuracy is a whole number of the 11 digits (no double counting, no padding)
    assert abs(result["test_accuracy"] * 11 - round(result["test_accuracy"] * 11)) < 1e-9
    # rank 0 alone logs: one "test error" line
    assert proc.stdout.count("test error") == 1
    state = torch.load(out / "best.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in state)  # the plain model's keys, not DDP's
