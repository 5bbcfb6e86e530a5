"""A stand-in for property_service's export route, on a free loopback port:
`GET /internal/properties/export?after=&limit=` over a list of rows, checking
the service signature exactly as property_service's trust middleware would.
(The end-to-end reindex through the real property_service is in tests/ at the
repository root.)"""

from __future__ import annotations

import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from rentezy_platform.trust import sign_gateway_request


class ExportServer:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = sorted(rows, key=lambda row: row["property_id"])
        self.requests: list[str] = []
        self.callers: list[tuple[str, str]] = []
        self.failures: list[int] = []  # statuses to answer before serving normally
        self.key = settings.GATEWAY_SIGNING_KEY
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ExportServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query["limit"][0])
        after = query.get("after", [""])[0]
        rest = [row for row in self.rows if row["property_id"] > after]
        page = rest[:limit]
        more = len(rest) > limit
        return {"results": page, "next_after": page[-1]["property_id"] if more else None}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                server.requests.append(self.path)
                user_id = self.headers.get("X-User-ID", "")
                role = self.headers.get("X-User-Role", "")
                expected = sign_gateway_request(
                    key=server.key,
                    method="GET",
                    path_with_query=self.path,
                    user_id=user_id,
                    role=role,
                    timestamp=self.headers.get("X-Gateway-Timestamp", ""),
                )
                signature = self.headers.get("X-Gateway-Signature", "")
                if not hmac.compare_digest(expected, signature) or role != "service":
                    self._send(401, {"code": "not_authenticated", "message": "bad signature"})
                    return
                server.callers.append((user_id, role))
                if server.failures:
                    self._send(server.failures.pop(0), {"code": "x", "message": "failing"})
                    return
                parts = urlsplit(self.path)
                if parts.path != "/internal/properties/export":
                    self._send(404, {"code": "not_found", "message": "Not found."})
                    return
                self._send(200, server.page(parse_qs(parts.query)))

        return Handler
