"""/trackside/api/artifacts/*: run artifacts and LoggedModel files through the Jupyter server,
against a real ``mlflow server`` (proxied ``--artifacts-destination`` artifacts).

Refused paths are also checked against a recording peer standing in for the upstream,
which proves they never left the Jupyter server.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from trackside.server import artifact_files
from trackside.server.artifact_files import ByteRange, content_type_for, validate_artifact_path
from trackside.server.gateway import GatewayError

from .in_process_mlflow import logging_to
from .peer_fixtures import AgainstRecordingPeer
from .servers import MlflowServer

PREVIEW_LIMIT = 4096
BIG = bytes(range(256)) * 40  # 10,240 bytes: over the preview limit
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CSV = "x,name,score\n" + "".join(f"{i},row {i},{i / 2}\n" for i in range(120))
HUGE_CSV = "i,text\n" + "".join(f"{i},{'y' * 40}\n" for i in range(400))  # ~18 kB

TRAVERSALS = [
    "../mlflow.db",
    "a/../../b",
    "/etc/passwd",
    "%2e%2e/mlflow.db",
    "%2E%2E%2Fmlflow.db",
    "%252e%252e/mlflow.db",
    "%25252e%25252e/x",
    "..%2fmlflow.db",
    "a\\..\\b",
    "a%5c..%5cb",
    "nul\x00.txt",
    "nul%00.txt",
    "C:/Windows/win.ini",
    "file:///etc/passwd",
    "~/secret",
]


@pytest.fixture
def jp_server_config(real_mlflow: MlflowServer):
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}},
        "Trackside": {"tracking_uri": real_mlflow.url, "max_preview_bytes": PREVIEW_LIMIT},
    }


@pytest.fixture(scope="module")
def run_files(real_mlflow: MlflowServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A run whose artifacts cover every kind of file the endpoint distinguishes."""
    client = mlflow.MlflowClient(tracking_uri=real_mlflow.url)
    experiment_id = client.create_experiment("artifact-files")
    run_id = client.create_run(experiment_id).info.run_id
    folder = tmp_path_factory.mktemp("artifacts")
    files: dict[str, bytes] = {
        "notes.txt": b"hello \xc3\xa9\n",
        "metrics.json": b'{"loss": 0.25}',
        "plot.png": PNG,
        "page.html": b"<script>alert(1)</script>",
        "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "blob.bin": b"\x00\x01\x02",
        "MLmodel": b"flavors: {}\n",
        "big.txt": BIG,
        "empty.txt": b"",
        "table.csv": CSV.encode(),
        "table.tsv": CSV.replace(",", "\t").encode(),
        "huge.csv": HUGE_CSV.encode(),
        "dir/inner.txt": b"inner",
    }
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        client.log_artifact(run_id, str(path), str(Path(name).parent) if "/" in name else None)
    table = pa.table({"a": [1, 2, 3], "b": ["x", None, "z"], "c": [0.5, float("nan"), 2.0]})
    pq.write_table(table, folder / "table.parquet")
    client.log_artifact(run_id, str(folder / "table.parquet"))
    big_table = pa.table({"v": list(range(5000))})
    pq.write_table(big_table, folder / "big.parquet", compression="none")
    client.log_artifact(run_id, str(folder / "big.parquet"))
    client.set_terminated(run_id)
    return run_id


@pytest.fixture(scope="module")
def sklearn_model(real_mlflow: MlflowServer) -> str:
    """A LoggedModel with its files (MLmodel, input example…), logged the MLflow 3 way."""
    import numpy as np
    from sklearn.linear_model import LinearRegression

    with (
        logging_to(real_mlflow.url, "artifact-models") as experiment_id,
        mlflow.start_run(experiment_id=experiment_id),
    ):
        model = LinearRegression().fit(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]))
        info = mlflow.sklearn.log_model(model, name="model", input_example=np.array([[1.5]]))
    return info.model_id


async def get(jp_fetch, kind: str, headers: dict | None = None, **params) -> HTTPResponse:
    try:
        return await jp_fetch(
            "trackside", "api", "artifacts", kind, params=params, headers=headers or {}
        )
    except HTTPClientError as err:
        assert err.response is not None, err
        return err.response


def error_of(response: HTTPResponse) -> tuple[int, str, str]:
    body = json.loads(response.body)
    return response.code, body["error_code"], body["message"]


# -- content types and headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "inline"),
    [
        ("notes.txt", "text/plain; charset=utf-8", True),
        ("MLmodel", "text/plain; charset=utf-8", True),
        ("metrics.json", "application/json", True),
        ("plot.png", "image/png", True),
        ("table.parquet", "application/vnd.apache.parquet", True),
        ("page.html", "application/octet-stream", False),
        ("drawing.svg", "application/octet-stream", False),
        ("blob.bin", "application/octet-stream", False),
        ("dir/inner.txt", "text/plain; charset=utf-8", True),
    ],
)
@pytest.mark.reliability("C9")
async def test_files_come_with_an_allow_listed_type_or_as_attachments(
    jp_fetch, run_files, path, content_type, inline
):
    response = await get(jp_fetch, "file", run_id=run_files, path=path)
    assert response.code == 200
    assert response.headers["Content-Type"] == content_type
    disposition = response.headers.get("Content-Disposition")
    if inline:
        assert disposition is None
    else:
        assert disposition is not None and disposition.startswith("attachment;")
        assert Path(path).name in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["X-Trackside-File-Size"]) == len(response.body)


@pytest.mark.reliability("B9")
async def test_bytes_arrive_unchanged(jp_fetch, run_files):
    response = await get(jp_fetch, "file", run_id=run_files, path="notes.txt")
    assert response.body == "hello é\n".encode()
    assert (await get(jp_fetch, "file", run_id=run_files, path="plot.png")).body == PNG
    empty = await get(jp_fetch, "file", run_id=run_files, path="empty.txt")
    assert (empty.code, empty.body, empty.headers["X-Trackside-File-Size"]) == (200, b"", "0")


@pytest.mark.reliability("C9")
async def test_download_is_an_attachment_even_for_text(jp_fetch, run_files):
    response = await get(jp_fetch, "file", run_id=run_files, path="notes.txt", download="1")
    assert response.code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"] == "sandbox"


# -- size cap and ranges --------------------------------------------------------------------------


@pytest.mark.reliability("B9")
async def test_a_file_over_the_preview_limit_is_413_naming_its_size(jp_fetch, run_files):
    response = await get(jp_fetch, "file", run_id=run_files, path="big.txt")
    code, error_code, message = error_of(response)
    assert (code, error_code) == (413, "RESOURCE_EXHAUSTED")
    assert str(len(BIG)) in message and str(PREVIEW_LIMIT) in message
    assert response.headers["X-Trackside-File-Size"] == str(len(BIG))
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.reliability("B9")
async def test_download_of_a_large_file_is_streamed_whole(jp_fetch, run_files, monkeypatch):
    # Small chunks: the download takes several Range requests to MLflow, reassembled here.
    monkeypatch.setattr(artifact_files, "CHUNK_BYTES", 3000)
    response = await get(jp_fetch, "file", run_id=run_files, path="big.txt", download="1")
    assert response.code == 200
    assert response.body == BIG
    assert response.headers["Content-Length"] == str(len(BIG))
    assert response.headers["X-Trackside-File-Size"] == str(len(BIG))


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=10000-", 10000, len(BIG) - 1),
        ("bytes=-16", len(BIG) - 16, len(BIG) - 1),
        ("bytes=100-100000", 100, len(BIG) - 1),
        ("bytes=2999-6001", 2999, 6001),
    ],
)
async def test_range_reads_are_206_whatever_the_size(
    jp_fetch, run_files, monkeypatch, header, first, last
):
    monkeypatch.setattr(artifact_files, "CHUNK_BYTES", 3000)
    response = await get(jp_fetch, "file", {"Range": header}, run_id=run_files, path="big.txt")
    assert response.code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(BIG)}"
    assert response.body == BIG[first : last + 1]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_an_unsatisfiable_range_is_416(jp_fetch, run_files):
    response = await get(
        jp_fetch, "file", {"Range": "bytes=20000-20010"}, run_id=run_files, path="big.txt"
    )
    assert response.code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(BIG)}"
    assert response.headers["X-Trackside-File-Size"] == str(len(BIG))
    assert json.loads(response.body)["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("header", ["bytes=5-1", "bytes=0-1,5-9", "items=0-1", "bytes=-"])
async def test_malformed_ranges_are_400(jp_fetch, run_files, header):
    response = await get(jp_fetch, "file", {"Range": header}, run_id=run_files, path="big.txt")
    assert error_of(response)[:2] == (400, "INVALID_PARAMETER_VALUE")


def test_byte_range_resolution():
    assert ByteRange(0, 9).resolve(5) == (0, 4)
    assert ByteRange(None, 3).resolve(10) == (7, 9)
    assert ByteRange(None, 30).resolve(10) == (0, 9)
    assert ByteRange(10, None).resolve(10) is None
    assert ByteRange(None, 3).resolve(0) is None


# -- what MLflow refuses -----------------------------------------------------------------------


async def test_missing_files_and_runs_are_mlflows_404(jp_fetch, run_files):
    response = await get(jp_fetch, "file", run_id=run_files, path="nope.txt")
    assert error_of(response)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")
    response = await get(jp_fetch, "file", run_id="0" * 32, path="notes.txt")
    assert error_of(response)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize(
    "params",
    [
        {"path": "notes.txt"},
        {"run_id": "r", "model_id": "m-1", "path": "notes.txt"},
        {"run_id": "a/b", "path": "notes.txt"},
        {"model_id": "../x", "path": "MLmodel"},
        {"run_id": "r"},
        {"run_id": "r", "path": ""},
    ],
)
async def test_incomplete_or_ambiguous_requests_are_400(jp_fetch, params):
    response = await get(jp_fetch, "file", **params)
    assert error_of(response)[:2] == (400, "INVALID_PARAMETER_VALUE")


# -- listings and LoggedModel files ------------------------------------------------------------


async def test_run_listing_under_a_folder(jp_fetch, run_files):
    response = await get(jp_fetch, "list", run_id=run_files, path="dir")
    assert json.loads(response.body) == {
        "files": [{"path": "dir/inner.txt", "is_dir": False, "file_size": 5}]
    }


async def test_logged_model_files_are_listed_and_read(jp_fetch, sklearn_model):
    response = await get(jp_fetch, "model-list", model_id=sklearn_model)
    files = {f["path"]: f for f in json.loads(response.body)["files"]}
    assert {"MLmodel", "input_example.json", "requirements.txt"} <= set(files)
    (serialized,) = {"model.pkl", "model.skops"} & set(files)
    mlmodel = await get(jp_fetch, "file", model_id=sklearn_model, path="MLmodel")
    assert mlmodel.code == 200
    assert mlmodel.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"sklearn" in mlmodel.body
    assert len(mlmodel.body) == files["MLmodel"]["file_size"]
    example = await get(jp_fetch, "file", model_id=sklearn_model, path="input_example.json")
    assert example.headers["Content-Type"] == "application/json"
    assert json.loads(example.body)  # the serialized input example
    # Bigger than the preview limit here: its first bytes, which are no inline type either.
    pickle = await get(
        jp_fetch, "file", {"Range": "bytes=0-9"}, model_id=sklearn_model, path=serialized
    )
    assert (pickle.code, pickle.headers["Content-Type"]) == (206, "application/octet-stream")
    assert pickle.headers["Content-Disposition"].startswith("attachment;")
    head = await get(
        jp_fetch, "file", {"Range": "bytes=0-13"}, model_id=sklearn_model, path="MLmodel"
    )
    assert (head.code, head.body) == (206, mlmodel.body[:14])


async def test_unknown_logged_model_is_404(jp_fetch):
    response = await get(jp_fetch, "model-list", model_id="m-" + "0" * 32)
    assert error_of(response)[:2] == (404, "RESOURCE_DOES_NOT_EXIST")


# -- tables ---------------------------------------------------------------------------------------


async def test_csv_and_tsv_first_rows(jp_fetch, run_files):
    for path in ("table.csv", "table.tsv"):
        response = await get(jp_fetch, "table", run_id=run_files, path=path, limit="3")
        table = json.loads(response.body)
        assert table["columns"] == [
            {"name": "x", "type": "int64"},
            {"name": "name", "type": "string"},
            {"name": "score", "type": "double"},
        ]
        assert table["rows"] == [[0, "row 0", 0.0], [1, "row 1", 0.5], [2, "row 2", 1.0]]
        assert (table["total_rows"], table["truncated"]) == (120, True)


async def test_parquet_first_rows_with_nulls_and_nan(jp_fetch, run_files):
    response = await get(jp_fetch, "table", run_id=run_files, path="table.parquet")
    table = json.loads(response.body)
    assert [c["name"] for c in table["columns"]] == ["a", "b", "c"]
    assert table["rows"] == [[1, "x", 0.5], [2, None, "nan"], [3, "z", 2.0]]
    assert (table["total_rows"], table["truncated"]) == (3, False)


async def test_a_csv_over_the_limit_is_read_in_part(jp_fetch, run_files):
    response = await get(jp_fetch, "table", run_id=run_files, path="huge.csv", limit="1000")
    table = json.loads(response.body)
    assert (table["total_rows"], table["truncated"]) == (None, True)
    assert 0 < len(table["rows"]) < 400
    assert table["rows"][0] == [0, "y" * 40]
    assert all(len(row[1]) == 40 for row in table["rows"])  # no half line at the end


async def test_table_refusals(jp_fetch, run_files):
    big = await get(jp_fetch, "table", run_id=run_files, path="big.parquet")
    assert error_of(big)[:2] == (413, "RESOURCE_EXHAUSTED")
    not_table = await get(jp_fetch, "table", run_id=run_files, path="notes.txt")
    assert error_of(not_table)[:2] == (400, "INVALID_PARAMETER_VALUE")
    bad_limit = await get(jp_fetch, "table", run_id=run_files, path="table.csv", limit="0")
    assert error_of(bad_limit)[:2] == (400, "INVALID_PARAMETER_VALUE")


# -- path validation ------------------------------------------------------------------------------


@pytest.mark.reliability("C5")
@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_paths_are_refused(path):
    with pytest.raises(GatewayError) as info:
        validate_artifact_path(path)
    assert info.value.status == 400


@pytest.mark.parametrize("path", ["a.txt", "dir/inner.txt", "with space.txt", "100%.txt", "é.txt"])
def test_ordinary_paths_pass(path):
    assert validate_artifact_path(path) == path


def test_content_types_by_name():
    assert content_type_for("requirements.txt") == ("text/plain; charset=utf-8", True)
    assert content_type_for("x/conda.yaml") == ("text/plain; charset=utf-8", True)
    assert content_type_for("notebook.ipynb") == ("application/x-ipynb+json", True)
    assert content_type_for("PHOTO.JPG") == ("image/jpeg", True)
    assert content_type_for("index.htm") == ("application/octet-stream", False)
    assert content_type_for("noextension") == ("application/octet-stream", False)


class TestRefusedPathsNeverReachMlflow(AgainstRecordingPeer):
    async def test_a_valid_path_reaches_the_peer(self, jp_fetch, peer):
        # The positive control for the refusals below.
        peer.answers["/get-artifact"] = (200, {"Content-Type": "text/plain"}, b"abc")
        response = await get(jp_fetch, "file", run_id="r1", path="dir/a b.txt")
        assert (response.code, response.body) == (200, b"abc")
        ((method, path, headers),) = peer.requests
        assert (method, path) == ("GET", "/get-artifact?run_id=r1&path=dir%2Fa+b.txt")
        assert headers["Range"] == f"bytes=0-{artifact_files.CHUNK_BYTES - 1}"

    @pytest.mark.reliability("C4", "C5")
    @pytest.mark.parametrize("path", TRAVERSALS)
    @pytest.mark.parametrize("kind", ["file", "table", "list", "model-list"])
    async def test_traversals_are_400_before_mlflow(self, jp_fetch, peer, kind, path):
        owner = {"model_id": "m-1"} if kind == "model-list" else {"run_id": "r1"}
        response = await get(jp_fetch, kind, path=path, **owner)
        assert error_of(response)[:2] == (400, "INVALID_PARAMETER_VALUE")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert peer.requests == []

    async def test_model_ids_are_validated_before_mlflow(self, jp_fetch, peer):
        for model_id in ("../../runs", "m-1/artifacts", "m 1"):
            response = await get(jp_fetch, "file", model_id=model_id, path="MLmodel")
            assert response.code == 400
        assert peer.requests == []

    async def test_upstream_redirects_are_not_followed(self, jp_fetch, peer):
        peer.answers["/get-artifact"] = (302, {"Location": "http://example.org/x"}, b"")
        response = await get(jp_fetch, "file", run_id="r1", path="a.txt")
        assert error_of(response)[:2] == (502, "TRACKSIDE_BAD_UPSTREAM")
        assert len(peer.requests) == 1
