"""A codec server: lets the Temporal Web UI (and `temporal workflow show --codec-endpoint`) show
decrypted payloads, without the key ever leaving this machine.

The UI posts {"payloads": [...]} (protobuf JSON) to /decode and shows what comes back. It listens
on loopback only, and CORS lets only the Web UI's origin read its answers (one Web UI can be two
origins: http://127.0.0.1:8233 and http://localhost:8233): another web page open in the same
browser gets no CORS headers (its requests are refused), so it cannot use the key through your
browser. Clients without an Origin header (the CLI, curl on this machine) are
served. A payload it cannot open gets HTTP 400 with the reason, never the ciphertext as plain text.

    python -m demos.pii_codec.codec_server              # http://127.0.0.1:8081, for the UI on :8233
    temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8081

`make present` runs one itself, beside its dev server (deckbuild/present/temporal_owner.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from demos.common.server import DemoError
from demos.pii_codec.codec import CodecKeyError, EncryptionCodec

DEFAULT_UI_ORIGIN = "http://localhost:8233"  # `temporal server start-dev`'s Web UI
MAX_BODY_BYTES = 4 * 1024 * 1024


class CodecServer:
    """The HTTP server on 127.0.0.1, in a background thread; `with CodecServer(...) as s:` stops it."""

    def __init__(self, codec: EncryptionCodec, *, ui_origin: str | list[str] = DEFAULT_UI_ORIGIN, port: int = 0) -> None:
        self.codec = codec
        origins = [ui_origin] if isinstance(ui_origin, str) else list(ui_origin)
        self.ui_origins = [o.rstrip("/") for o in origins]
        self.ui_origin = self.ui_origins[0]
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CodecServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="codec-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """In the calling thread, until KeyboardInterrupt (the standalone server)."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> CodecServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _handler_for(server: CodecServer) -> type[BaseHTTPRequestHandler]:
    transforms: dict[str, Callable] = {"/encode": server.codec.encrypt, "/decode": server.codec.decrypt}

    class Handler(BaseHTTPRequestHandler):
        server_version = "pii-codec"

        def log_message(self, format: str, *args: object) -> None:
            pass  # request lines would be noise in the demo's output

        def _origin_allowed(self) -> bool:
            origin = self.headers.get("Origin")
            return origin is None or origin.rstrip("/") in server.ui_origins

        def _allowed_origin(self) -> str:
            return self.headers["Origin"].rstrip("/")  # one of server.ui_origins: checked first

        def _reply(self, status: int, body: dict | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            origin = self.headers.get("Origin")
            if origin is not None and self._origin_allowed():
                self.send_header("Access-Control-Allow-Origin", self._allowed_origin())
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Vary", "Origin")
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self) -> None:  # the browser's CORS preflight
            if self.headers.get("Origin") is None or not self._origin_allowed():
                self._reply(HTTPStatus.FORBIDDEN, {"message": "origin not allowed"})
                return
            self.send_response(HTTPStatus.NO_CONTENT)
            self.send_header("Access-Control-Allow-Origin", self._allowed_origin())
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
            self.send_header("Access-Control-Max-Age", "600")
            self.send_header("Vary", "Origin")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            if not self._origin_allowed():
                self._reply(HTTPStatus.FORBIDDEN, {"message": f"origin {self.headers.get('Origin')!r} not allowed"})
                return
            transform = transforms.get(self.path.split("?", 1)[0].rstrip("/"))
            if transform is None:
                self._reply(HTTPStatus.NOT_FOUND, {"message": "POST /encode or /decode"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": f"body over {MAX_BODY_BYTES} bytes"})
                return
            try:
                payloads = json_format.Parse(self.rfile.read(length) or b"{}", Payloads())
                out = Payloads(payloads=[transform(p) for p in payloads.payloads])
            except json_format.ParseError as err:
                self._reply(HTTPStatus.BAD_REQUEST, {"message": f"not a Payloads JSON body: {err}"})
                return
            except CodecKeyError as err:
                self._reply(HTTPStatus.BAD_REQUEST, {"message": str(err)})
                return
            self._reply(HTTPStatus.OK, json_format.MessageToDict(out))

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.pii_codec.codec_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--ui-origin", action="append", help=f"the Web UI's origin, repeatable (default {DEFAULT_UI_ORIGIN})")
    args = parser.parse_args(argv)
    try:
        server = CodecServer(EncryptionCodec.from_env(), ui_origin=args.ui_origin or DEFAULT_UI_ORIGIN, port=args.port)
    except (DemoError, OSError) as err:  # a malformed key, the port taken
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"codec server on {server.url} (CORS: {', '.join(server.ui_origins)} only); Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("codec server stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
