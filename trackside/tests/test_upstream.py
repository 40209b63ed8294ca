import base64

import pytest

from trackside.server.upstream import UnsupportedTrackingUri, strip_credentials, upstream_from_uri


@pytest.mark.reliability("C10")
def test_credentials_never_reach_the_public_uri():
    upstream = upstream_from_uri("https://alice:s3cret@mlflow.example.org:8443/base/", {})
    assert upstream.public_uri == "https://mlflow.example.org:8443/base"
    expected = base64.b64encode(b"alice:s3cret").decode()
    assert upstream.headers == {"Authorization": f"Basic {expected}"}


@pytest.mark.reliability("C10")
def test_credentials_from_mlflow_environment_variables():
    env = {"MLFLOW_TRACKING_USERNAME": "bob", "MLFLOW_TRACKING_PASSWORD": "pw"}
    upstream = upstream_from_uri("http://127.0.0.1:5000", env)
    assert upstream.headers["Authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()
    token = upstream_from_uri("http://127.0.0.1:5000", {"MLFLOW_TRACKING_TOKEN": "t0k"})
    assert token.headers == {"Authorization": "Bearer t0k"}


def test_no_credentials_no_header():
    assert upstream_from_uri("http://127.0.0.1:5000", {}).headers == {}


def test_strip_credentials_keeps_ipv6_hosts():
    assert strip_credentials("http://u:p@[::1]:5000/x") == "http://[::1]:5000/x"
    assert strip_credentials("http://host:5000") == "http://host:5000"


@pytest.mark.parametrize(
    "uri", ["sqlite:///mlflow.db", "file:///tmp/mlruns", "databricks", "/tmp/x"]
)
def test_non_http_tracking_uri_is_refused_with_a_clear_message(uri):
    with pytest.raises(UnsupportedTrackingUri, match="http:// or https://"):
        upstream_from_uri(uri, {})
