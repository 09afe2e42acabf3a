"""The panel's only way to the agent: an authenticated Jupyter handler that forwards with the secret.

The agent (``studio-backup agent``, lcc/src/agent/) listens on 127.0.0.1 and answers only requests
that carry its per-start secret in ``X-Studio-Backup-Secret``. At every start it writes
``<state dir>/agent-<port>.json`` (``{"port", "secret", "pid"}``, mode 0600) and this handler, at
``<base url>/studio-backup/agent/<port>/api/v1/...``, reads it and forwards the request.

Why a forwarder in the Jupyter server rather than jupyter-server-proxy plus a handler that hands the
secret to the page: the secret never exists in JavaScript, so nothing running in the browser (another
extension, a rendered notebook output, a page that rebinds a DNS name to 127.0.0.1) can read it from
a response or from the panel. The browser talks only to Jupyter, with Jupyter's own authentication
(token or cookie) and XSRF check; what reaches the agent carries no Jupyter token or cookie, only the
secret. Only the ports an agent of this user published are reached, and only under ``/api/v1/``.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import HTTPRequest
from tornado.simple_httpclient import SimpleAsyncHTTPClient
from traitlets import Unicode
from traitlets.config import Configurable

SECRET_HEADER = "X-Studio-Backup-Secret"
API_PREFIX = "/api/v1/"
ROUTE = r"/studio-backup/agent/(?P<port>[1-9][0-9]{0,4})/api/v1/.*"
# Headers of the browser's request the agent needs; nothing else (no cookie, no Jupyter token).
REQUEST_HEADERS = ("Content-Type", "Accept")
# Headers of the agent's answer the browser needs.
RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Cache-Control",
)
# The agent caps request bodies at 1 MiB; a streamed download (a file of a snapshot) has no cap.
MAX_RESPONSE_BYTES = 1 << 42


class StudioBackup(Configurable):
    """Where the forwarder looks for the agent's record (``--StudioBackup.state_dir=...``)."""

    state_dir = Unicode(
        "",
        config=True,
        help=(
            "The agent's state folder (its --state-dir), which holds agent-<port>.json. Empty: "
            "$STUDIO_BACKUP_STATE_DIR, else <server root>/.studio-backup and ~/.studio-backup "
            "(the agent's default is <its home>/.studio-backup; in Studio the server's root is the home)."
        ),
    )

    def candidates(self, root_dir: str) -> list[str]:
        explicit = self.state_dir or os.environ.get("STUDIO_BACKUP_STATE_DIR", "")
        if explicit:
            return [os.path.expanduser(explicit)]
        dirs = [os.path.join(os.path.expanduser(root_dir), ".studio-backup")]
        home = os.path.join(os.path.expanduser("~"), ".studio-backup")
        if os.path.realpath(home) != os.path.realpath(dirs[0]):
            dirs.append(home)
        return dirs


class AgentUnavailable(Exception):
    """No agent of this user on that port: the panel shows it as not reachable."""


def read_record(dirs: list[str], port: int) -> dict[str, Any]:
    """The agent's record for this port: written by the same user, readable by no one else."""
    for folder in dirs:
        path = os.path.join(folder, f"agent-{port}.json")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            continue
        except OSError as err:
            raise AgentUnavailable(
                f"Cannot read the backup agent's secret {path}: {err.strerror}."
            ) from err
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise AgentUnavailable(
                    f"Not using {path}: it must belong to this user and be readable by no one else (0600)."
                )
            try:
                record = json.loads(file.read(4096))
            except ValueError:
                record = None
        if (
            not isinstance(record, dict)
            or record.get("port") != port
            or not isinstance(record.get("secret"), str)
            or len(record["secret"]) < 32
        ):
            raise AgentUnavailable(f"{path} is not a record the backup agent wrote.")
        return record
    raise AgentUnavailable(
        f"No backup agent has started on port {port} for this user (no agent-{port}.json in "
        f"{' or '.join(dirs)}): is the lifecycle configuration attached?"
    )


_client: SimpleAsyncHTTPClient | None = None


def _http_client() -> SimpleAsyncHTTPClient:
    # One of our own, created on the server's loop: event streams hold a connection each for as
    # long as a job runs, and must not take the slots of the shared client other extensions use.
    global _client
    if _client is None:
        _client = SimpleAsyncHTTPClient(
            force_instance=True,
            max_clients=64,
            max_body_size=MAX_RESPONSE_BYTES,
        )
    return _client


class AgentForwardHandler(APIHandler):
    """``<base url>/studio-backup/agent/<port>/api/v1/...`` -> ``http://127.0.0.1:<port>/api/v1/...``."""

    # Jupyter's authorizer sees reads and writes of "studio_backup" (each method names its action:
    # one decorated function must not serve two HTTP methods, as @authorized keeps the first one's).
    auth_resource = "studio_backup"

    def initialize(self, studio_backup: StudioBackup, root_dir: str) -> None:
        self._studio_backup = studio_backup
        self._root_dir = root_dir
        self._content_type = "application/json"
        self._streamed = False  # a chunk of the agent's answer has gone to the browser

    @web.authenticated
    @authorized("read")
    async def get(self, port: str) -> None:
        await self._forward(int(port))

    @web.authenticated
    @authorized("write")
    async def post(self, port: str) -> None:
        await self._forward(int(port))

    @web.authenticated
    @authorized("write")
    async def put(self, port: str) -> None:
        await self._forward(int(port))

    @web.authenticated
    @authorized("write")
    async def delete(self, port: str) -> None:
        await self._forward(int(port))

    def _error(self, status: int, message: str, reason: str | None = None) -> None:
        self.set_status(status)
        body: dict[str, str] = {"error": message}
        if reason:
            body["reason"] = reason
        self.finish(json.dumps(body))

    async def _forward(self, port: int) -> None:
        prefix = url_path_join(self.base_url, "studio-backup", "agent", str(port))
        path = self.request.path  # as sent, still percent-encoded
        if port > 65535 or not path.startswith(prefix + API_PREFIX):
            self._error(404, f"No such endpoint: {path}")
            return
        try:
            record = read_record(self._studio_backup.candidates(self._root_dir), port)
        except AgentUnavailable as err:
            self._error(502, str(err), "agent-unreachable")
            return
        url = f"http://127.0.0.1:{port}{path[len(prefix) :]}"
        if self.request.query:
            url += f"?{self.request.query}"
        headers = {SECRET_HEADER: record["secret"]}
        for name in REQUEST_HEADERS:
            if name in self.request.headers:
                headers[name] = self.request.headers[name]
        method = self.request.method or "GET"
        upstream = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=self.request.body if method in ("POST", "PUT") else None,
            connect_timeout=10,
            # Event streams last as long as a job; the agent bounds everything else.
            request_timeout=0,
            follow_redirects=False,
            decompress_response=False,
            header_callback=self._on_header,
            streaming_callback=self._on_chunk,
        )
        try:
            await _http_client().fetch(upstream, raise_error=False)
        except Exception as err:  # connection refused, reset, the browser went away
            if self._streamed:
                return  # mid-stream: the browser sees the stream end, as when the agent stops
            self.clear()
            self._error(
                502,
                f"The backup agent on port {port} did not answer: {err}",
                "agent-unreachable",
            )
            return
        if not self._finished:
            self.finish(set_content_type=self._content_type)

    def _on_header(self, line: str) -> None:
        if line.startswith("HTTP/"):
            parts = line.split(" ", 2)
            self.set_status(int(parts[1]), parts[2].strip() if len(parts) > 2 else None)
        elif ":" in line:
            name, value = (part.strip() for part in line.split(":", 1))
            for allowed in RESPONSE_HEADERS:
                if name.lower() == allowed.lower():
                    self.set_header(allowed, value)
                    if allowed == "Content-Type":
                        self._content_type = value

    def _on_chunk(self, chunk: bytes) -> Any:
        # Written and flushed as it comes: the job's Server-Sent Events reach the panel at once, and
        # a large file is never held in memory. A browser that went away fails the flush, which ends
        # the request to the agent.
        self._streamed = True
        self.write(chunk)
        return self.flush()


def setup_handlers(server_app: Any) -> None:
    settings = StudioBackup(config=server_app.config)
    web_app = server_app.web_app
    route = url_path_join(web_app.settings["base_url"], ROUTE)
    web_app.add_handlers(
        ".*$",
        [
            (
                route,
                AgentForwardHandler,
                {"studio_backup": settings, "root_dir": server_app.root_dir},
            )
        ],
    )
    server_app.log.info(
        "Studio Backup: forwarding %s to the agent, state in %s",
        url_path_join(web_app.settings["base_url"], "studio-backup/agent/<port>/api/v1/"),
        " or ".join(settings.candidates(server_app.root_dir)),
    )
