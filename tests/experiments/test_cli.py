"""The command line end to end on a few real rotated digits: train (metrics, checkpoints),
resume, eval, report PNGs; and bad input, each a clear message, exit status 2 and nothing
written."""

import csv
import json

import pytest
import torch

from steerable.experiments.cli import main
from steerable.models import build_model

# 48 training digits in batches of 16: 3 steps per epoch
TINY = [
    "--train-size",
    "48",
    "--val-size",
    "16",
    "--test-size",
    "32",
    "--batch-size",
    "16",
    "--device",
    "cpu",
]


def _train(out, *extra, model="c8", epochs=2):
    return main(
        [
            "train",
            "rotmnist",
            "--model",
            model,
            "--width",
            "0.1",
            "--epochs",
            str(epochs),
            *TINY,
            "--out",
            str(out),
            "--no-progress",
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def c8_run(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("runs") / "c8"
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse env fixture is not active yet
        mp.setenv("STEERABLE_CACHE_DIR", str(cache_dir))
        assert _train(out) == 0
    return out


def test_train_writes_metrics_checkpoints_and_result(c8_run):
    names = {p.name for p in c8_run.iterdir()}
    assert names == {
        "config.json",
        "metrics.json",
        "metrics.csv",
        "best.pt",
        "last.pt",
        "result.json",
        "steps.csv",
    }
    metrics = json.loads((c8_run / "metrics.json").read_text())
    assert [m["epoch"] for m in metrics] == [1, 2]
    assert all(m["train_digits"] == 48 and 0 <= m["val_accuracy"] <= 1 for m in metrics)
    with open(c8_run / "steps.csv") as f:
        steps = list(csv.DictReader(f))
    assert [(int(r["step"]), int(r["epoch"])) for r in steps] == [
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 2),
        (5, 2),
        (6, 2),
    ]
    with open(c8_run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2] and float(rows[1]["val_loss"]) == metrics[1]["val_loss"]
    # checkpoints are plain state_dicts
    state = torch.load(c8_run / "best.pt", weights_only=True)
    model = build_model("c8", 0.1)
    model.load_state_dict(state)
    last = torch.load(c8_run / "last.pt", weights_only=True)
    assert last["epoch"] == 2 and set(last) >= {"model", "optimizer", "scheduler"}
    result = json.loads((c8_run / "result.json").read_text())
    assert result["test_digits"] == 32 and result["epochs_run"] == 2 and result["world_size"] == 1
    assert result["best_epoch"] == max(metrics, key=lambda m: m["val_accuracy"])["epoch"]
    assert result["equivariance_error"] < 1e-4  # invariant to quarter turns up to float32 rounding
    config = json.loads((c8_run / "config.json").read_text())
    assert config["model"] == "c8" and config["sizes"] == [48, 16, 32] and len(config["data_checksum"]) == 64


def test_resume_continues_and_matches_an_uninterrupted_run(tmp_path, c8_run):
    out = tmp_path / "resumed"
    assert _train(out, epochs=1) == 0
    assert _train(out, "--resume", epochs=2) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert [m["epoch"] for m in metrics] == [1, 2]
    with open(out / "steps.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [1, 2, 3, 4, 5, 6]
    # the same shuffles and optimizer state: the resumed run ends where the two-epoch run ended
    a = torch.load(out / "last.pt", weights_only=True)["model"]
    b = torch.load(c8_run / "last.pt", weights_only=True)["model"]
    for key in b:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)


def test_eval_and_report(tmp_path, c8_run, capsys):
    cnn = tmp_path / "cnn"
    assert _train(cnn, model="cnn", epochs=1) == 0
    assert main(["eval", str(c8_run), "--no-progress", "--device", "cpu"]) == 0
    res = json.loads((c8_run / "eval-test.json").read_text())
    assert res["n"] == 32 and res["model"] == "c8"
    assert res["accuracy"] == json.loads((c8_run / "result.json").read_text())["test_accuracy"]
    assert "error" in capsys.readouterr().out
    report = tmp_path / "report"
    assert (
        main(
            [
                "report",
                str(c8_run),
                str(cnn),
                "--out",
                str(report),
                "--digits",
                "8",
                "--angles",
                "4",
                "--no-progress",
            ]
        )
        == 0
    )
    for name in ("accuracy_vs_angle.png", "training_curves.png", "feature_maps.png"):
        assert (report / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((report / "report.json").read_text())
    assert len(summary["angles_degrees"]) == 5
    errors = summary["feature_map_90_degree_error"]
    c8_err = next(v for k, v in errors.items() if k.startswith("c8"))
    cnn_err = next(v for k, v in errors.items() if k.startswith("cnn"))
    assert c8_err < 1e-5 < 0.05 < cnn_err  # the steerable map turns with the input, the CNN's not


def _fails(capsys, argv, match):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and match in err, err
    return err


def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, c8_run, capsys):
    for argv, match in (
        (["train", "rotmnist", "--model", "resnet", "--out", "x"], "invalid choice: 'resnet'"),
        (["train", "cifar", "--out", "x"], "invalid choice: 'cifar'"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2 and match in capsys.readouterr().err
    # an output directory that cannot be created: its parent is a file
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _fails(
        capsys,
        ["train", "rotmnist", "--out", str(blocker / "run"), *TINY, "--no-progress"],
        "cannot create output directory",
    )
    # a non-empty directory without --resume; --resume of a run of another model
    _fails(capsys, ["train", "rotmnist", "--out", str(c8_run), *TINY, "--no-progress"], "is not empty")
    _fails(
        capsys,
        [
            "train",
            "rotmnist",
            "--model",
            "cnn",
            "--width",
            "0.1",
            "--out",
            str(c8_run),
            *TINY,
            "--resume",
            "--no-progress",
        ],
        "was trained with model='c8', not 'cnn'",
    )
    _fails(
        capsys,
        ["train", "rotmnist", "--out", str(tmp_path / "new"), "--resume", "--no-progress"],
        "not found",
    )
    _fails(
        capsys,
        ["train", "rotmnist", "--out", str(tmp_path / "new"), "--epochs", "0", "--no-progress"],
        "invalid --epochs: 0",
    )
    _fails(
        capsys,
        ["train", "rotmnist", "--out", str(tmp_path / "new"), "--device", "gpu", "--no-progress"],
        "unknown device 'gpu'",
    )
    # a checkpoint of another model
    cnn_state = tmp_path / "cnn.pt"
    torch.save(build_model("cnn", 0.1).state_dict(), cnn_state)
    before = sorted(p.name for p in c8_run.iterdir())
    _fails(
        capsys,
        ["eval", str(c8_run), "--checkpoint", str(cnn_state), "--no-progress"],
        "was not saved from model 'c8'",
    )
    _fails(capsys, ["eval", str(tmp_path), "--no-progress"], "config.json not found")
    assert sorted(p.name for p in c8_run.iterdir()) == before
    assert not (tmp_path / "new").exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "cnn.pt",
        "file",
    ]


def test_parser_names_match_the_registries():
    from steerable.data import DATASETS
    from steerable.experiments import cli
    from steerable.experiments.train import PRESETS
    from steerable.models import MODELS

    assert set(cli.MODEL_NAMES) == set(MODELS)
    assert set(cli.DATASETS) == set(DATASETS)
    assert set(cli.PRESET_NAMES) == set(PRESETS)


def test_demo_on_a_few_digits(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--epochs", "1", "--width", "0.1", "--skip-checks", "--no-progress"]
    assert main(argv + TINY) == 0
    text = capsys.readouterr().out
    assert "test error (%)" in text and "demo finished" in text
    assert {p.name for p in out.iterdir()} >= {
        "c8",
        "cnn",
        "results.json",
        "results.txt",
        "report.json",
        "accuracy_vs_angle.png",
        "training_curves.png",
        "feature_maps.png",
    }
    results = json.loads((out / "results.json").read_text())
    assert results["c8"]["equivariance_error"] < 1e-4 < results["cnn"]["equivariance_error"]
    # a second demo replaces the first one's runs instead of refusing a non-empty directory
    assert main(argv + TINY) == 0
