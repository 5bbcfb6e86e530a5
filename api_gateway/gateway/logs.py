"""The gateway's log lines: its access log, and tokens kept out of the
servers' own lines.

uvicorn (and daphne) log each WebSocket handshake with its full path, query
string included, and the browser's access token travels in `?token=`. The
filter below redacts it in whatever those loggers format; the gateway's own
access log never records a query string at all.

The access log (one line per request, logger `gateway.access`) is on the hot
path: AccessFormatter writes the same JSON object the platform's formatter
(python-json-logger) would, from the fields it knows, instead of inspecting
every attribute of every record.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_TOKEN_PARAM = re.compile(r"((?:^|[?&])token=)[^&\s\"']*", re.IGNORECASE)
SERVER_LOGGERS = (
    "uvicorn.error",
    "uvicorn.access",
    "daphne.server",
    "daphne.http_protocol",
    "daphne.ws_protocol",
)


def redact(text: str) -> str:
    return _TOKEN_PARAM.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_redaction() -> None:
    redaction = RedactTokens()
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(redaction)


# The extra fields of an access line, in the order they are written; a field
# a record does not carry is left out (close_code and reason are WebSocket's).
ACCESS_FIELDS = (
    "method",
    "path",
    "status",
    "close_code",
    "reason",
    "duration_ms",
    "client_ip",
    "user_id",
    "upstream",
)
_MISSING = object()


class AccessFormatter(logging.Formatter):
    """One JSON object per line: level, logger, message, service, request_id
    (stamped by rentezy_platform.logging.ContextFilter, on the handler as on
    the platform's), the access fields, then time: the keys and values the
    platform's JSON formatter gives the same record."""

    def format(self, record: logging.LogRecord) -> str:
        attrs = record.__dict__
        data = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": attrs.get("service"),
            "request_id": attrs.get("request_id"),
        }
        for name in ACCESS_FIELDS:
            value = attrs.get(name, _MISSING)
            if value is not _MISSING:
                data[name] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat()
        return _dumps(data)


def _dumps(data: dict) -> str:
    try:
        return json.dumps(data)
    except TypeError:  # a value JSON has no type for: as python-json-logger, its str()
        return json.dumps(data, default=str)
