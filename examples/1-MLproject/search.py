"""A small grid of random forests on California housing, one nested MLflow run per point.

The `search` entry point of this folder's MLproject:

    mlflow run examples/1-MLproject -e search -P n_estimators_grid=10,25 -P max_depth_grid=5,10

Every (n_estimators, max_depth) pair is trained by `train.train_forest` in a child run of the
project's run (its per-tree `rmse`/`val_rmse` curves included); the parent run logs each
child's final `val_rmse` as `grid_val_rmse` (step = grid point), the best pair as `best_*`
params, and the best forest as its model.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence

import mlflow
from train import (
    ForestSettings,
    add_shared_arguments,
    depth,
    load_housing,
    log_dataset,
    log_forest,
    log_new_params,
    positive_int,
    train_forest,
)


def values_of(kind: type[int]) -> object:
    """An argparse type for comma-separated values of `kind` (`positive_int` or `depth`)."""

    def parse(text: str) -> list[int]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"{text!r} holds no value")
        return [kind(item) for item in items]

    return parse


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n-estimators-grid",
        type=values_of(positive_int),
        default=[10, 25, 50],
        help="comma-separated numbers of trees, e.g. 10,25,50",
    )
    parser.add_argument(
        "--max-depth-grid",
        type=values_of(depth),
        default=[5, 10],
        help="comma-separated tree depths (0: unlimited), e.g. 5,10",
    )
    add_shared_arguments(parser)
    args = parser.parse_args(argv)
    grid = list(itertools.product(args.n_estimators_grid, args.max_depth_grid))

    data = load_housing(args.data_dir)
    with mlflow.start_run() as parent:
        log_new_params(
            {
                "n_estimators_grid": ",".join(map(str, args.n_estimators_grid)),
                "max_depth_grid": ",".join(map(str, args.max_depth_grid)),
                "min_samples_split": args.min_samples_split,
                "data_dir": args.data_dir or "",
            }
        )
        log_dataset(data)
        results = []
        for point, (n_estimators, max_depth) in enumerate(grid, start=1):
            name = f"n_estimators={n_estimators} max_depth={max_depth}"
            print(f"[{point}/{len(grid)}] {name}", flush=True)
            settings = ForestSettings(n_estimators, max_depth, args.min_samples_split)
            with mlflow.start_run(run_name=name, nested=True):
                trained = train_forest(
                    data, settings, log_model=False, label=f"[{point}/{len(grid)}] "
                )
            mlflow.log_metric("grid_val_rmse", trained.val_rmse, step=point)
            results.append(trained)

        best = min(results, key=lambda trained: trained.val_rmse)
        mlflow.log_params(
            {
                "best_n_estimators": best.settings.n_estimators,
                "best_max_depth": best.settings.max_depth,
            }
        )
        mlflow.log_metric("best_val_rmse", best.val_rmse)
        mlflow.set_tag("best_run_id", best.run_id)
        log_forest(best.model, data)
    print(
        f"run {parent.info.run_id}: best of {len(grid)} is n_estimators="
        f"{best.settings.n_estimators} max_depth={best.settings.max_depth}"
        f" (val_rmse {best.val_rmse:.4f}, run {best.run_id})",
        flush=True,
    )


if __name__ == "__main__":
    main()
