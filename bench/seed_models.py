"""Seed an MLflow SQLite store with many registered models for the Models-view benchmark.

    python bench/seed_models.py <backend-folder> [models] [versions]

Writes <backend-folder>/mlflow.db (the file the embedded server then serves) with
`models` registered models named `model-0000`…, each with a description, a `team`
tag (`team-<i % 10>`), `versions` READY versions whose source is a logged-model URI,
and a `champion` alias on the latest version.

MLflow's own stores create the schema; the rows go in through MLflow's own ORM
classes in bulk, one transaction, because creating 20,000 versions one request at a
time would take longer than the benchmark.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    models = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    versions = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    folder.mkdir(parents=True, exist_ok=True)

    from mlflow.store.model_registry.dbmodels.models import (
        SqlModelVersion,
        SqlRegisteredModel,
        SqlRegisteredModelAlias,
        SqlRegisteredModelTag,
    )
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    # The tracking store creates (and migrates) every table; the registry store reuses it.
    TrackingStore(uri, str(folder / "mlartifacts")).engine.dispose()
    store = RegistryStore(uri)

    began = time.perf_counter()
    now = int(time.time() * 1000)
    rows: list[object] = []
    for i in range(models):
        name = f"model-{i:04d}"
        updated = now - (models - i) * 60_000
        rows.append(
            SqlRegisteredModel(
                name=name,
                creation_time=updated - versions * 1000,
                last_updated_time=updated,
                description=f"Benchmark model {i}\nTrained on a synthetic data set.",
            )
        )
        rows.append(SqlRegisteredModelTag(name=name, key="team", value=f"team-{i % 10}"))
        for v in range(1, versions + 1):
            rows.append(
                SqlModelVersion(
                    name=name,
                    version=v,
                    creation_time=updated - (versions - v) * 1000,
                    last_updated_time=updated - (versions - v) * 1000,
                    source=f"models:/m-{uuid.uuid4().hex}",
                    status="READY",
                )
            )
        rows.append(SqlRegisteredModelAlias(name=name, alias="champion", version=versions))
    with store.ManagedSessionMaker() as session:
        session.add_all(rows)
    store.engine.dispose()
    print(
        f"Seeded {models} registered models x {versions} versions into {folder / 'mlflow.db'}"
        f" in {time.perf_counter() - began:.1f}s"
    )


if __name__ == "__main__":
    main()
