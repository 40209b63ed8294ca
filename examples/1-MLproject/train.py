"""Train a random forest on the California housing data and log it with plain MLflow calls.

The `main` entry point of this folder's MLproject:

    mlflow run examples/1-MLproject -e main -P n_estimators=50 --env-manager local

or, outside MLflow Projects, `python train.py --n-estimators 50`. The forest grows one tree at a
time, so the RMSE of the first k trees (training `rmse` and validation `val_rmse`, step k) is
logged, and printed, while it trains. The finished model is logged with its signature and an
input example. `search.py` imports `train_forest` from here for its grid.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.datasets import fetch_california_housing
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

CACHE_FILE = "cal_housing_py3.pkz"  # what fetch_california_housing keeps in its data folder
TARGET = "MedHouseVal"
SEED = 42
# The project lives at <repo>/examples/1-MLproject; the shared local data copies, when there,
# are in <repo>/../shared/data (or wherever TRACKSIDE_SHARED_DATA says).
SHARED_DATA = Path(
    os.environ.get("TRACKSIDE_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared/data"
)

DATA_HELP = f"""Where California housing may be found: the first of these folders that holds
scikit-learn's cache file {CACHE_FILE} is read: --data-dir; $SCIKIT_LEARN_DATA;
$TRACKSIDE_SHARED_DATA/scikit_learn_data (default {SHARED_DATA}/scikit_learn_data);
scikit-learn's own data folder (~/scikit_learn_data). When none holds it, scikit-learn downloads
it into its own data folder, unless TRACKSIDE_OFFLINE=1 forbids the download. The MLproject's
default '.' is the folder `mlflow run` was started in (MLflow resolves a path parameter there
and refuses one that does not exist)."""


@dataclass(frozen=True)
class Housing:
    """California housing split into training and validation rows."""

    train_x: pd.DataFrame
    val_x: pd.DataFrame
    train_y: pd.Series
    val_y: pd.Series


@dataclass(frozen=True)
class ForestSettings:
    n_estimators: int
    max_depth: int  # 0: grow every tree until its leaves are pure
    min_samples_split: int | float


@dataclass(frozen=True)
class TrainedForest:
    run_id: str
    settings: ForestSettings
    model: RandomForestRegressor
    val_rmse: float


def min_samples_split(text: str) -> int | float:
    """MLflow passes a float; scikit-learn wants a count of samples (an int >= 2) or a fraction
    of the training rows (a float in (0, 1]). A whole number >= 2 ("2", "5.0") is a count, a
    number in (0, 1] ("0.01", "1") a fraction; anything else is refused."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if 0 < value <= 1:
        return value
    if value >= 2 and value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither a whole number >= 2 (a count of samples)"
        " nor a fraction in (0, 1] of the training rows"
    )


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return value


def depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0 (0: unlimited)")
    return value


def add_shared_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `main` and `search` have in common."""
    parser.add_argument(
        "--min-samples-split",
        type=min_samples_split,
        default=2,
        help="the fewest training rows a node needs to be split: a whole number >= 2 is a count,"
        " a number in (0, 1] a fraction of the training rows (MLflow passes it as a float)",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help=DATA_HELP)


def data_folders(data_dir: Path | None) -> list[Path]:
    """The folders that may hold the cache, in the order they are tried."""
    folders = [data_dir] if data_dir else []
    if os.environ.get("SCIKIT_LEARN_DATA"):
        folders.append(Path(os.environ["SCIKIT_LEARN_DATA"]))
    folders.append(SHARED_DATA / "scikit_learn_data")
    folders.append(Path("~/scikit_learn_data"))
    return [folder.expanduser() for folder in folders]


def load_housing(data_dir: Path | None) -> Housing:
    """The data from the first folder that has it; else scikit-learn's download."""
    folders = data_folders(data_dir)
    found = next((folder for folder in folders if (folder / CACHE_FILE).is_file()), None)
    if found is None and os.environ.get("TRACKSIDE_OFFLINE"):
        looked = ", ".join(str(folder) for folder in folders)
        sys.exit(f"TRACKSIDE_OFFLINE is set and none of these holds {CACHE_FILE}: {looked}")
    # data_home=None is scikit-learn's own folder ($SCIKIT_LEARN_DATA or ~/scikit_learn_data).
    frame = fetch_california_housing(
        data_home=found, download_if_missing=found is None, as_frame=True
    ).frame
    print(f"California housing: {len(frame)} rows from {found or 'scikit-learn'}", flush=True)
    train, val = train_test_split(frame, test_size=0.2, random_state=SEED)
    return Housing(
        train_x=train.drop(columns=[TARGET]),
        val_x=val.drop(columns=[TARGET]),
        train_y=train[TARGET],
        val_y=val[TARGET],
    )


def log_new_params(params: Mapping[str, object]) -> None:
    """Log the params the active run does not hold yet. `mlflow run` has already logged the
    entry point's parameters as they were typed, and MLflow refuses to change a logged value
    (say "2.0" into "2")."""
    run = mlflow.active_run()
    assert run is not None, "log_new_params needs an active run"
    logged = mlflow.get_run(run.info.run_id).data.params
    mlflow.log_params({name: value for name, value in params.items() if name not in logged})


def log_dataset(data: Housing) -> None:
    frame = pd.concat([data.train_x, data.train_y], axis=1)
    dataset = mlflow.data.from_pandas(frame, name="california-housing-train", targets=TARGET)
    mlflow.log_input(dataset, context="training")


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted - actual) ** 2)))


def train_forest(
    data: Housing, settings: ForestSettings, *, log_model: bool = True, label: str = ""
) -> TrainedForest:
    """Grow the forest one tree at a time in the active run, logging `rmse` and `val_rmse` of
    the first k trees at step k, then the final validation metrics (and the model)."""
    run = mlflow.active_run()
    assert run is not None, "train_forest needs an active run"
    log_new_params(
        {
            "n_estimators": settings.n_estimators,
            "max_depth": settings.max_depth,
            "min_samples_split": settings.min_samples_split,
            "random_state": SEED,
            "train_rows": len(data.train_x),
            "val_rows": len(data.val_x),
        }
    )
    forest = RandomForestRegressor(
        n_estimators=1,
        max_depth=settings.max_depth or None,
        min_samples_split=settings.min_samples_split,
        random_state=SEED,
        warm_start=True,  # each fit adds the trees missing up to n_estimators
    )
    # The trees were fitted on float32 arrays; summing their own predictions gives the forest's
    # prediction for the first k trees without predicting with all k again.
    train_x = data.train_x.to_numpy(dtype=np.float32)
    val_x = data.val_x.to_numpy(dtype=np.float32)
    train_sum = np.zeros(len(train_x))
    val_sum = np.zeros(len(val_x))
    started = time.monotonic()
    for k in range(1, settings.n_estimators + 1):
        forest.set_params(n_estimators=k)
        forest.fit(data.train_x, data.train_y)
        tree = forest.estimators_[-1]
        train_sum += tree.predict(train_x)
        val_sum += tree.predict(val_x)
        metrics = {
            "rmse": rmse(train_sum / k, data.train_y.to_numpy()),
            "val_rmse": rmse(val_sum / k, data.val_y.to_numpy()),
        }
        mlflow.log_metrics(metrics, step=k)
        print(
            f"{label}tree {k}/{settings.n_estimators}:"
            f" rmse {metrics['rmse']:.4f}  val_rmse {metrics['val_rmse']:.4f}",
            flush=True,
        )
    seconds = time.monotonic() - started

    predicted = forest.predict(data.val_x)
    mlflow.log_metrics(
        {
            "val_mse": mean_squared_error(data.val_y, predicted),
            "val_mae": mean_absolute_error(data.val_y, predicted),
            "val_r2": r2_score(data.val_y, predicted),
            "train_seconds": seconds,
        }
    )
    if log_model:
        log_forest(forest, data)
    return TrainedForest(
        run_id=run.info.run_id,
        settings=settings,
        model=forest,
        val_rmse=rmse(predicted, data.val_y.to_numpy()),
    )


def log_forest(forest: RandomForestRegressor, data: Housing) -> None:
    signature = infer_signature(data.train_x, forest.predict(data.train_x.head(100)))
    mlflow.sklearn.log_model(
        sk_model=forest,
        name="model",
        signature=signature,
        input_example=data.train_x.head(5),
        # MLflow saves scikit-learn models with skops, which refuses types it cannot vet;
        # the trees of a forest we trained ourselves are safe to trust.
        skops_trusted_types=["sklearn.tree._tree.Tree"],
        # Named rather than inferred: inference loads the model again in a subprocess (seconds)
        # and records whatever else that process imported.
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n-estimators", type=positive_int, default=100, help="trees in the forest"
    )
    parser.add_argument(
        "--max-depth", type=depth, default=10, help="deepest level of a tree (0: unlimited)"
    )
    add_shared_arguments(parser)
    args = parser.parse_args(argv)
    settings = ForestSettings(args.n_estimators, args.max_depth, args.min_samples_split)

    data = load_housing(args.data_dir)
    # Under `mlflow run`, MLFLOW_RUN_ID makes this the project's run.
    with mlflow.start_run() as run:
        log_new_params({"data_dir": args.data_dir or ""})
        log_dataset(data)
        trained = train_forest(data, settings)
    print(f"run {run.info.run_id}: val_rmse {trained.val_rmse:.4f}", flush=True)


if __name__ == "__main__":
    main()
