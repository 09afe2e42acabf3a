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
from tornado import httputil, web
from tornado.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from tornado.iostream import IOStream, StreamClosedError
from tornado.tcpclient import TCPClient
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
# A streamed download (a file of a snapshot) has no cap of its own; the agent caps request bodies.
MAX_RESPONSE_BYTES = 1 << 50


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
    """No agent of this user on that port: the panel shows it as not reachable.

    ``reason`` is a stable code the panel words in the user's language (src/api.ts), ``details``
    the values its message names (``port``, ``path``, ``dirs``, ``detail``); the English message
    is for the server's log and for clients that do not know the code.
    """

    def __init__(self, message: str, reason: str, **details: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


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
                f"Cannot read the backup agent's secret {path}: {err.strerror}.",
                "agent-record-unreadable",
                port=port,
                path=path,
                detail=err.strerror or type(err).__name__,
            ) from err
        # A folder (or a device) under that name opens, but is no record: say so, not a 500.
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise AgentUnavailable(
                f"Cannot read the backup agent's secret {path}: it is not a file.",
                "agent-record-unreadable",
                port=port,
                path=path,
                detail="not a file",
            )
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise AgentUnavailable(
                    f"Not using {path}: it must belong to this user and be readable by no one else (0600).",
                    "agent-record-permissions",
                    port=port,
                    path=path,
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
            raise AgentUnavailable(
                f"{path} is not a record the backup agent wrote.",
                "agent-record-invalid",
                port=port,
                path=path,
            )
        return record
    raise AgentUnavailable(
        f"No backup agent has started on port {port} for this user (no agent-{port}.json in "
        f"{' or '.join(dirs)}): is the lifecycle configuration attached?",
        "agent-no-record",
        port=port,
        dirs=dirs,
    )


class _Relay(httputil.HTTPMessageDelegate):
    """The agent's answer, passed to the browser as it arrives."""

    def __init__(self, handler: AgentForwardHandler) -> None:
        self._handler = handler

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> None:
        assert isinstance(start_line, httputil.ResponseStartLine)
        self._handler.relay_headers(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        return self._handler.relay_chunk(chunk)


class AgentForwardHandler(APIHandler):
    """``<base url>/studio-backup/agent/<port>/api/v1/...`` -> ``http://127.0.0.1:<port>/api/v1/...``."""

    # Jupyter's authorizer sees reads and writes of "studio_backup" (each method names its action:
    # one decorated function must not serve two HTTP methods, as @authorized keeps the first one's).
    auth_resource = "studio_backup"

    def initialize(self, studio_backup: StudioBackup, root_dir: str) -> None:
        self._studio_backup = studio_backup
        self._root_dir = root_dir
        self._content_type = "application/json"
        self._upstream: IOStream | None = None
        self._streamed = False  # a chunk of the agent's answer has gone to the browser
        self._gone = False  # the browser closed the connection

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

    def on_connection_close(self) -> None:
        # The browser went away (a closed panel, a cancelled download): so does the request to the
        # agent, which stops the event stream or the file it was sending.
        super().on_connection_close()
        self._gone = True
        if self._upstream is not None:
            self._upstream.close()

    def _error(self, status: int, message: str, reason: str, **details: Any) -> None:
        """``{"error": <English, for logs>, "reason": <stable code>, ...details}``."""
        self.set_status(status)
        self.finish(json.dumps({"error": message, "reason": reason, **details}))

    async def _forward(self, port: int) -> None:
        prefix = url_path_join(self.base_url, "studio-backup", "agent", str(port))
        path = self.request.path  # as sent, still percent-encoded
        if port > 65535 or not path.startswith(prefix + API_PREFIX):
            self._error(404, f"No such endpoint: {path}", "no-such-endpoint", path=path)
            return
        try:
            record = read_record(self._studio_backup.candidates(self._root_dir), port)
        except AgentUnavailable as err:
            self._error(502, str(err), err.reason, **err.details)
            return
        target = path[len(prefix) :] + (f"?{self.request.query}" if self.request.query else "")
        method = self.request.method or "GET"
        body = self.request.body if method in ("POST", "PUT") else b""
        headers = httputil.HTTPHeaders(
            {"Host": f"127.0.0.1:{port}", "Connection": "close", SECRET_HEADER: record["secret"]}
        )
        for name in REQUEST_HEADERS:
            if name in self.request.headers:
                headers[name] = self.request.headers[name]
        if method in ("POST", "PUT"):
            headers["Content-Length"] = str(len(body))
        # One connection per request, closed with it: an event stream lasts as long as its job,
        # with no timeout here (the agent bounds everything else), and ends when either side goes.
        try:
            self._upstream = await TCPClient().connect("127.0.0.1", port, timeout=10)
            if self._gone:
                return
            self._upstream.set_nodelay(True)
            connection = HTTP1Connection(
                self._upstream,
                True,
                HTTP1ConnectionParameters(
                    no_keep_alive=True, max_body_size=MAX_RESPONSE_BYTES, decompress=False
                ),
            )
            connection.write_headers(
                httputil.RequestStartLine(method, target, "HTTP/1.1"), headers
            )
            if body:
                connection.write(body)
            connection.finish()
            await connection.read_response(_Relay(self))
        except (OSError, StreamClosedError, httputil.HTTPInputError, TimeoutError) as err:
            if self._gone or self._streamed:
                return  # the browser left, or sees the stream end as when the agent stops
            self.clear()
            detail = str(err) or type(err).__name__
            self._error(
                502,
                f"The backup agent on port {port} did not answer: {detail}",
                "agent-no-answer",
                port=port,
                detail=detail,
            )
            return
        finally:
            if self._upstream is not None:
                self._upstream.close()
        if not self._finished and not self._gone:
            self.finish(set_content_type=self._content_type)

    def relay_headers(
        self, start_line: httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> None:
        self.set_status(start_line.code, start_line.reason or None)
        for name in RESPONSE_HEADERS:
            if name in headers:
                self.set_header(name, headers[name])
        self._content_type = headers.get("Content-Type", self._content_type)

    async def relay_chunk(self, chunk: bytes) -> None:
        # Written and flushed as it comes, and the next chunk read only then: the job's events reach
        # the panel at once, and a large file is never held in memory. Nothing here raises (tornado
        # would log it as an uncaught exception): a browser that went away closes the agent's side.
        if self._gone:
            return
        self._streamed = True
        self.write(chunk)
        try:
            await self.flush()
        except StreamClosedError:
            self.on_connection_close()


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
