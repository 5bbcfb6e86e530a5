"""What the gateway's upstream client does on the wire, against a raw HTTP
server that misbehaves on purpose: the retry of a request whose pooled
connection the service dropped, no headers of the client library's own, no
cookie jar, redirects passed on, and broken answers turned into 502."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from urllib.parse import urlsplit

import pytest

from tests.conftest import gateway_env, start_uvicorn


class RawUpstream:
    """HTTP/1.1 over plain sockets, one thread per connection. Behaviour by
    path (the gateway routes /api/search/... here):

    - /api/search/flaky: answers the first request of a connection with
      keep-alive, then drops the connection when the next request arrives on it
      (a service closing an idle keep-alive connection as it is reused);
    - /api/search/cookie: sets a cookie; /api/search/redirect: 302;
    - /api/search/garbage: not HTTP; /api/search/truncated: less body than
      announced, then closes;
    - anything else: 200 with the request's headers as JSON.
    """

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        served = 0
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                self.requests.append((method, target, headers))
                path = target.split("?", 1)[0]
                if path == "/api/search/flaky" and served:
                    return  # dropped without an answer
                served += 1
                if path == "/api/search/garbage":
                    conn.sendall(b"this is not HTTP\r\n\r\n")
                    return
                if path == "/api/search/truncated":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some")
                    return
                extra = b""
                status = b"200 OK"
                if path == "/api/search/cookie":
                    extra = b"Set-Cookie: session=for-one-user-only; Path=/\r\n"
                elif path == "/api/search/redirect":
                    status = b"302 Found"
                    extra = b"Location: /api/search/elsewhere\r\n"
                body = json.dumps(headers).encode()
                conn.sendall(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Type: application/json\r\n"
                    + extra
                    + b"Content-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def raw_upstream():
    server = RawUpstream()
    yield server
    server.close()


@pytest.fixture
def auth(make_token) -> dict[str, str]:
    # /api/search/... needs a token (only GET /api/search/properties is public).
    return {"Authorization": f"Bearer {make_token().value}"}


@pytest.fixture(scope="module")
def raw_gateway(upstream, raw_upstream, tmp_path_factory):
    server = start_uvicorn(
        "config.asgi:application",
        env=gateway_env(upstream.url, SEARCH_SERVICE_URL=raw_upstream.url),
        log=tmp_path_factory.mktemp("raw-gateway") / "gateway.log",
    )
    yield server
    server.stop()


def _request(gateway, method: str, path: str, auth, body: bytes | None = None, headers=None):
    """A request with only the headers given (http.client adds Host alone)."""
    headers = {**auth, **(headers or {})}
    parts = urlsplit(gateway.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_dropped_keep_alive_connection_is_retried_once_for_a_bodiless_get(
    auth, raw_gateway, raw_upstream
):
    first = _request(raw_gateway, "GET", "/api/search/flaky", auth)
    before = raw_upstream.connections
    second = _request(raw_gateway, "GET", "/api/search/flaky", auth)

    assert (first[0], second[0]) == (200, 200)
    # The second went out on the pooled connection, was dropped, and was
    # sent again on a new one.
    assert raw_upstream.connections == before + 1


@pytest.mark.parametrize(("method", "body"), [("POST", b"{}"), ("PUT", b"{}"), ("DELETE", None)])
def test_only_bodiless_get_head_and_options_are_retried(
    auth, raw_gateway, raw_upstream, method, body
):
    assert _request(raw_gateway, "GET", "/api/search/flaky", auth)[0] == 200
    calls = len(raw_upstream.requests)

    status, _, answer = _request(raw_gateway, method, "/api/search/flaky", auth, body=body)

    assert (status, json.loads(answer)["code"]) == (502, "bad_gateway")
    assert len(raw_upstream.requests) == calls + 1


def test_no_headers_of_the_client_library_are_added(auth, raw_gateway):
    status, _, body = _request(raw_gateway, "GET", "/api/search/plain", auth)
    sent = json.loads(body)
    assert status == 200
    assert sent["authorization"] == auth["Authorization"]
    for name in ("user-agent", "accept", "accept-encoding", "content-type", "cookie"):
        assert name not in sent, name

    status, _, body = _request(
        raw_gateway,
        "POST",
        "/api/search/plain",
        auth,
        body=b"x",
        headers={"User-Agent": "app/1.0", "Accept": "text/csv", "Accept-Encoding": "gzip"},
    )
    sent = json.loads(body)
    assert (sent["user-agent"], sent["accept"], sent["accept-encoding"]) == (
        "app/1.0",
        "text/csv",
        "gzip",
    )
    assert "content-type" not in sent and sent["content-length"] == "1"


def test_cookies_are_never_kept_between_requests(auth, raw_gateway):
    status, headers, _ = _request(raw_gateway, "GET", "/api/search/cookie", auth)
    assert status == 200 and "session=for-one-user-only" in headers["set-cookie"]

    _, _, body = _request(raw_gateway, "GET", "/api/search/plain", auth)
    assert "cookie" not in json.loads(body)


def test_redirects_are_passed_on_not_followed(auth, raw_gateway, raw_upstream):
    status, headers, _ = _request(raw_gateway, "GET", "/api/search/redirect", auth)

    assert (status, headers["location"]) == (302, "/api/search/elsewhere")
    assert not any(target == "/api/search/elsewhere" for _, target, _ in raw_upstream.requests)


def test_a_broken_answer_is_a_502_and_a_short_body_is_cut_off(auth, raw_gateway):
    status, _, body = _request(raw_gateway, "GET", "/api/search/garbage", auth)
    assert (status, json.loads(body)["code"]) == (502, "bad_gateway")

    with pytest.raises(http.client.IncompleteRead):
        _request(raw_gateway, "GET", "/api/search/truncated", auth)
