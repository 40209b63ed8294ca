"""The Trackside server extension: configuration, start and stop."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.serverapp import ServerApp
from traitlets import Bool, Float, Int, Unicode

from .backend import BackendManager, BackendOptions
from .backend_folder import STATE_DIR_NAME, default_backend_folder
from .handlers import route_table
from .kernel_activity import untrack_subshell_messages
from .projects.manager import ProjectsManager, ProjectsOptions
from .serving.manager import ServingManager, ServingOptions


class Trackside(ExtensionApp):
    """MLflow tracking for JupyterLab. Configure with ``c.Trackside.<option>``."""

    name = "trackside"
    load_other_extensions = True

    tracking_uri = Unicode(
        "",
        help="URL of the MLflow tracking server to use. Empty: MLFLOW_TRACKING_URI from the "
        "server's environment, else the embedded server.",
    ).tag(config=True)

    backend_root = Unicode(
        "",
        help="Folder holding the embedded server's mlflow.db and mlartifacts/. Empty: "
        ".trackside/backend/ in the Jupyter server's root directory (hidden from the file "
        "browser), or the root directory itself if an earlier version left mlflow.db there.",
    ).tag(config=True)

    port = Int(5000, help="Port of the embedded MLflow server (a free one if taken).").tag(
        config=True
    )

    adopt_existing = Bool(
        True, help="Use an MLflow server that already answers on the embedded port."
    ).tag(config=True)

    health_interval = Float(5.0, help="Seconds between health checks of the embedded server.").tag(
        config=True
    )

    max_restarts = Int(
        5, help="Crashes in a row after which the embedded server is not restarted again."
    ).tag(config=True)

    startup_timeout = Float(
        120.0, help="Seconds the embedded server may take to become healthy."
    ).tag(config=True)

    stop_timeout = Float(5.0, help="Seconds between SIGTERM and SIGKILL at shutdown.").tag(
        config=True
    )

    max_preview_bytes = Int(
        10 * 1024 * 1024,
        help="Largest artifact file shown as a preview (bigger ones are downloaded or read "
        "by byte range).",
    ).tag(config=True)

    max_served_models = Int(
        3, help="Model versions that may be served locally (`mlflow models serve`) at once."
    ).tag(config=True)

    serving_startup_timeout = Float(
        180.0, help="Seconds a served model may take to answer its health check."
    ).tag(config=True)

    allow_remote_projects = Bool(
        False, help="Let `mlflow run` fetch remote (git, https, s3…) project URIs."
    ).tag(config=True)

    max_running_projects = Int(
        2, help="MLflow Project executions that run at once; the others wait in a queue."
    ).tag(config=True)

    max_project_output_bytes = Int(
        1024 * 1024, help="Bytes of a project execution's latest output kept readable."
    ).tag(config=True)

    def _backend_folders(self, embedded: bool) -> tuple[Path, Path | None]:
        """The embedded server's data folder, and its state folder (None: inside it)."""
        if self.backend_root:
            return Path(self.backend_root).expanduser().resolve(), None
        server: ServerApp | None = self.serverapp
        root = Path(server.root_dir if server is not None else os.getcwd()).expanduser().resolve()
        folder = default_backend_folder(root, self.log if embedded else None)
        return folder, root / STATE_DIR_NAME

    def initialize_settings(self) -> None:
        if self.serverapp is not None:
            untrack_subshell_messages(self.serverapp.kernel_manager)
        uri = self.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or None
        data_dir, state_dir = self._backend_folders(embedded=uri is None)
        options = BackendOptions(
            tracking_uri=uri,
            root_dir=data_dir,
            state_dir=state_dir,
            port=self.port,
            adopt_existing=self.adopt_existing,
            health_interval=self.health_interval,
            max_restarts=self.max_restarts,
            startup_timeout=self.startup_timeout,
            stop_timeout=self.stop_timeout,
        )
        backend = BackendManager(options, log=self.log)
        # Kernels and terminals inherit the server's environment: plain mlflow code logs here.
        os.environ.update(backend.kernel_environment())
        self.settings["trackside_backend"] = backend
        self.settings["trackside_max_preview_bytes"] = self.max_preview_bytes
        self.settings["trackside_serving"] = ServingManager(
            ServingOptions(
                state_dir=backend.state_dir / "serving",
                environment=backend.kernel_environment(),
                max_served=self.max_served_models,
                startup_timeout=self.serving_startup_timeout,
                stop_timeout=self.stop_timeout,
            ),
            log=self.log,
        )
        root = self.serverapp.root_dir if self.serverapp is not None else os.getcwd()
        self.settings["trackside_projects"] = ProjectsManager(
            ProjectsOptions(
                state_dir=backend.state_dir / "projects",
                root_dir=Path(root).expanduser().resolve(),
                environment=backend.kernel_environment,
                upstream=lambda: backend.upstream,
                allow_remote=self.allow_remote_projects,
                max_running=self.max_running_projects,
                max_output_bytes=self.max_project_output_bytes,
                stop_timeout=self.stop_timeout,
            ),
            log=self.log,
        )
        self.log.info(
            "Trackside: %s MLflow backend at %s", backend.mode.value, backend.upstream.public_uri
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(route_table())

    async def _start_jupyter_server_extension(self, serverapp: ServerApp) -> None:
        self.settings["trackside_backend"].start()
        self.settings["trackside_projects"].start()

    async def stop_extension(self) -> None:
        projects: ProjectsManager | None = self.settings.get("trackside_projects")
        if projects is not None:
            await projects.stop()  # before the backend: their runs are marked KILLED
        serving: ServingManager | None = self.settings.get("trackside_serving")
        if serving is not None:
            await serving.stop()
        backend: BackendManager | None = self.settings.get("trackside_backend")
        if backend is not None:
            await backend.stop()
