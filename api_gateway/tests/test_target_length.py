"""A request target longer than the services' servers accept gets the
gateway's own 414 in the error shape (gunicorn would answer an HTML 414)."""

from __future__ import annotations

import json
import socket

import httpx
from gateway.routes import MAX_TARGET_BYTES

from .conftest import validate_calls

PATH = "/api/properties"


def _get(gw: httpx.Client, raw_target: bytes) -> httpx.Response:
    return gw.get(httpx.URL(gw.base_url.join("/"), raw_path=raw_target))


def test_a_target_of_the_maximum_length_is_forwarded(gw):
    query = b"?q=" + b"x" * (MAX_TARGET_BYTES - len(PATH) - 3)
    target = PATH.encode() + query
    assert len(target) == MAX_TARGET_BYTES

    response = _get(gw, target)

    assert response.status_code == 200, response.text
    assert response.json()["full_path"] == target.decode()


def test_a_longer_target_gets_414_in_the_error_shape(gw, control):
    calls = validate_calls(control)
    target = PATH.encode() + b"?q=" + b"x" * (MAX_TARGET_BYTES - len(PATH) - 2)
    assert len(target) == MAX_TARGET_BYTES + 1

    response = _get(gw, target)

    assert response.status_code == 414
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"code": "uri_too_long", "message": "The request URI is too long."}
    # Refused before any token check or upstream call.
    assert validate_calls(control) == calls


def test_the_length_counts_the_target_as_forwarded_escaped(gw):
    # 1500 raw "{" are 1500 bytes as sent but 4500 once percent-escaped.
    target = PATH.encode() + b"/" + b"{" * 1500
    assert len(target) < MAX_TARGET_BYTES
    url = httpx.URL(str(gw.base_url))

    # Written by hand: HTTP clients would escape the braces themselves.
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 414 Request-URI Too Long"
    assert json.loads(body) == {"code": "uri_too_long", "message": "The request URI is too long."}
