"""Auto-capture rules (pure functions, no kernel)."""

from __future__ import annotations

import math
import textwrap
import threading

import numpy as np
import pytest

from trackside.kernel.capture.scan import is_metric_name, scan_cell, valid_key
from trackside.kernel.capture.settings import CaptureSettings
from trackside.kernel.capture.values import collect, metric_value, snapshot


@pytest.fixture
def settings() -> CaptureSettings:
    return CaptureSettings()


def run(source: str, settings: CaptureSettings, namespace: dict | None = None, **kwargs):
    """Scan ``source``, execute it in ``namespace`` (as the kernel would) and collect."""
    source = textwrap.dedent(source)
    namespace = {} if namespace is None else namespace
    scan = scan_cell(source, settings)
    before = snapshot(scan, namespace, settings)
    exec(source, namespace)
    return collect(scan, namespace, settings, before=before, **kwargs)


@pytest.mark.parametrize(
    "name",
    [
        "accuracy", "acc", "loss", "mse", "rmse", "mae", "r2", "f1", "precision", "recall",
        "auc", "score", "val_loss", "eval_rmse", "test_accuracy", "f1_score", "train_acc",
        "best_val_loss", "roc_auc", "r2_score", "loss_val", "f1_macro", "rmse_1", "Val_Loss",
    ],
)  # fmt: skip
def test_metric_names(name, settings):
    assert is_metric_name(name, settings)


@pytest.mark.parametrize(
    "name",
    ["lossy_data", "scores", "accurate", "acc_steps", "loss_fn_name", "_loss", "x", "lr", "f10"],
)
def test_not_metric_names(name, settings):
    assert not is_metric_name(name, settings)


def test_metric_patterns_are_configurable(settings):
    settings.set("metric_patterns", r"perplexity, (?:\w+_)?bleu")
    assert is_metric_name("val_bleu", settings)
    assert is_metric_name("perplexity", settings)
    assert not is_metric_name("loss", settings)


def test_metric_values():
    class Tensor0D:  # duck-typed like a 0-d torch tensor
        ndim = 0

        def item(self):
            return 0.25

    assert metric_value(3) == 3.0
    assert metric_value(0.5) == 0.5
    assert metric_value(np.float32(0.5)) == 0.5
    assert metric_value(np.int64(7)) == 7.0
    assert metric_value(np.array(1.5)) == 1.5
    assert metric_value(Tensor0D()) == 0.25
    assert math.isnan(metric_value(float("nan")))
    assert metric_value(float("-inf")) == float("-inf")
    for not_metric in (True, np.bool_(True), np.array(True), "0.5", None, [1.0], np.array([1.0])):
        assert metric_value(not_metric) is None, not_metric
    assert metric_value(10**400) is None  # does not fit a float


def test_params_are_literal_assignments(settings):
    captured = run(
        """
        lr = 0.01
        epochs: int = 10
        name = "resnet"
        shuffle = True
        seed = None
        neg = -3
        layers = [64, 32]
        shape = (28, 28)
        a, b = 1, "two"
        x = y = 5
        cfg = {"optimizer": {"name": "adam", "beta": 0.9}, "dropout": 0.1, 3: "three"}
        computed = lr * 2
        _private = 1
        nested = [[1, 2]]
        with open(__file__ if False else "/dev/null") as handle:
            batch = 32
        """,
        settings,
    )
    assert captured.params == {
        "lr": "0.01",
        "epochs": "10",
        "name": "resnet",
        "shuffle": "True",
        "seed": "None",
        "neg": "-3",
        "layers": "[64, 32]",
        "shape": "(28, 28)",
        "a": "1",
        "b": "two",
        "x": "5",
        "y": "5",
        "cfg.optimizer.name": "adam",
        "cfg.optimizer.beta": "0.9",
        "cfg.dropout": "0.1",
        "cfg.3": "three",
        "batch": "32",
    }


def test_param_rebound_later_in_the_cell_is_not_captured(settings):
    captured = run(
        """
        lr = 0.1
        lr *= 2
        steps = 5
        steps = compute()
        kind = "a"
        for kind in ["b", "c"]:
            pass
        keep = 1
        """,
        settings,
        {"compute": lambda: 6},
    )
    assert captured.params == {"keep": "1"}


def test_param_in_branch_that_did_not_run(settings):
    captured = run(
        """
        if False:
            mode = "a"
        else:
            mode = "b"
        """,
        settings,
    )
    assert captured.params == {"mode": "b"}


def test_metrics_bound_in_the_cell(settings):
    captured = run(
        """
        import numpy as np
        acc = np.float64(0.9)
        val_loss, test_accuracy = 0.5, np.array(0.8)
        f1_score = 0
        f1_score += 1
        precision: float = 0.7
        for epoch in range(3):
            train_loss = 1.0 / (epoch + 1)
        lossy_data = 2.0
        scores = [0.1, 0.2]
        score = "high"
        auc = True
        r2 = float("nan")
        rmse = float("inf")
        """,
        settings,
    )
    assert captured.metrics.keys() == {
        "acc", "val_loss", "test_accuracy", "f1_score", "precision", "train_loss", "r2", "rmse",
    }  # fmt: skip
    assert captured.metrics["train_loss"] == pytest.approx(1 / 3)
    assert captured.metrics["f1_score"] == 1.0
    assert math.isnan(captured.metrics["r2"])
    assert captured.metrics["rmse"] == math.inf
    # numeric literals bound to metric names are metrics, not params
    assert "precision" not in captured.params
    assert captured.params["score"] == "high"
    assert "auc" in captured.params  # a bool is a param, never a metric


def test_metric_only_bound_conditionally_must_change(settings):
    namespace = {"val_loss": 0.4, "acc": 0.1}
    captured = run(
        """
        if False:
            val_loss = 0.3
        if True:
            acc = 0.2
        """,
        settings,
        namespace,
    )
    assert captured.metrics == {"acc": 0.2}


def test_failed_cell_keeps_params_but_no_metrics(settings):
    namespace = {}
    source = "lr = 0.1\nloss = 0.5\n"
    scan = scan_cell(source, settings)
    exec(source, namespace)
    captured = collect(scan, namespace, settings, succeeded=False)
    assert captured.params == {"lr": "0.1"}
    assert captured.metrics == {}


def test_explicit_lists_and_switches(settings):
    namespace = {"base": 0.5}
    captured = run(
        "lr = base * 2\nratio = 0.3\nmy_quality = 0.9\nacc = 0.8\n",
        settings,
        namespace,
        params=["lr", "missing"],
        metrics=["my_quality", "ratio"],
    )
    assert captured.params == {"lr": "1.0"}
    assert captured.metrics == {"my_quality": 0.9, "ratio": 0.3}
    assert any("missing" in note for note in captured.notes)
    nothing = run("lr = 1\nacc = 0.5\n", settings, capture_params=False, capture_metrics=False)
    assert (nothing.params, nothing.metrics) == ({}, {})


def test_private_and_ipython_names_are_ignored(settings):
    captured = run("_acc = 0.5\n__loss = 0.2\n_ = 3\n", settings)
    assert captured.metrics == {} and captured.params == {}


def test_limits_on_values(settings):
    settings.max_str_len = 10
    settings.max_seq_len = 3
    captured = run(
        'short = "abc"\nlong = "x" * 1 + "' + "y" * 50 + '"\nwords = "' + "z" * 50 + '"\n'
        "few = [1, 2, 3]\nmany = [1, 2, 3, 4]\n",
        settings,
    )
    assert captured.params == {"short": "abc", "few": "[1, 2, 3]"}
    assert any("words" in note and "max_str_len" in note for note in captured.notes)


def test_too_many_metrics_are_capped_with_a_note(settings):
    source = "".join(f"m{i}_loss = {i}.5\n" for i in range(2500))
    captured = run(source, settings)
    assert len(captured.metrics) == settings.max_metrics == 1000
    assert list(captured.metrics)[:2] == ["m0_loss", "m1_loss"]
    assert any("1500 metrics not captured" in note for note in captured.notes)


def test_too_many_params_are_capped_with_a_note(settings):
    source = "".join(f"p{i} = {i}\n" for i in range(150))
    captured = run(source, settings)
    assert len(captured.params) == 100
    assert any("50 params not captured" in note for note in captured.notes)


def test_huge_cell_is_skipped_quickly(settings):
    source = "acc = 0.5\n" + "x = 1\n" * 50_000  # 300k characters
    done = threading.Event()
    result = {}

    def work():
        result["scan"] = scan_cell(source, settings)
        done.set()

    threading.Thread(target=work, daemon=True).start()
    assert done.wait(30), "scan_cell did not return"
    scan = result["scan"]
    assert scan.bound == {} and scan.params == {}
    assert "max_source_chars" in scan.notes[0]


def test_statement_budget(settings):
    settings.max_nodes = 10
    scan = scan_cell("".join(f"v{i} = {i}\n" for i in range(50)), settings)
    assert len(scan.params) == 10
    assert "max_nodes" in scan.notes[0]


def test_huge_literal_is_not_a_param(settings):
    scan = scan_cell("data = [" + ", ".join(["1"] * 30_000) + "]\n", settings)
    assert scan.params == {} and "data" in scan.bound


def test_deeply_nested_source_does_not_raise(settings):
    scan = scan_cell("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", settings)
    assert scan.params == {}


def test_syntax_error_gives_an_empty_scan(settings):
    assert scan_cell("def (:\n", settings).bound == {}


def test_def_and_class_bodies_are_other_scopes(settings):
    captured = run(
        """
        def train():
            loss = 0.1
            lr = 0.2
            return loss
        class Config:
            batch = 3
        result_loss = train()
        """,
        settings,
    )
    assert captured.params == {}
    assert captured.metrics == {"result_loss": 0.1}


def test_valid_keys():
    assert valid_key("cfg.optimizer.name")
    assert not valid_key("bad key!")
    assert not valid_key("x" * 251)


def test_settings_parse_errors(settings):
    with pytest.raises(ValueError, match="on or off"):
        settings.set("autolog", "maybe")
    with pytest.raises(ValueError, match="regular expression"):
        settings.set("metric_patterns", "(unclosed")
    with pytest.raises(ValueError, match=">= 0"):
        settings.set("max_params", "-1")
    with pytest.raises(KeyError):
        settings.set("nope", "1")
    assert settings.set("metric_patterns", '["a,b", "c"]') == ["a,b", "c"]
    assert settings.set("server_timeout", "0.5") == 0.5
