"""The gateway's merged OpenAPI document, built offline: what
`GET /api/schema/` serves, without running any service.

    .venv/bin/python scripts/openapi_schema.py [--out frontend/openapi.json] [--check]

Each service's own schema comes from its `manage.py spectacular` (the same
drf-spectacular document its `/api/schema/` serves); the gateway's
`merge_schemas` merges them exactly as it does at runtime. The web app's API
types (frontend/src/api/schema.d.ts) are generated from the file this writes
(`npm run api-types`); `--check` exits 1 when the committed file is stale,
and tests/test_openapi_types.py runs that check in `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_OUT = ROOT / "frontend" / "openapi.json"
# The services the gateway routes to, by the names of gateway/routes.py.
SERVICES = {
    "auth": "auth_service",
    "property": "property_service",
    "booking": "booking_service",
    "rent": "rent_service",
    "chat": "chat_service",
    "notification": "notification_service",
    "search": "search_service",
}


def service_schema(directory: str, workdir: Path) -> dict:
    out = workdir / f"{directory}.json"
    subprocess.run(
        [PYTHON, "manage.py", "spectacular", "--format", "openapi-json", "--file", str(out)],
        cwd=ROOT / directory,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.read_text())


def merged() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        documents = {name: service_schema(d, Path(tmp)) for name, d in SERVICES.items()}
    sys.path.insert(0, str(ROOT / "api_gateway"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.chdir(ROOT / "api_gateway")
    import django

    django.setup()
    from gateway.schema import merge_schemas

    return merge_schemas(documents, {})


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    args = parser.parse_args()
    out = args.out.resolve()
    text = render(merged())
    if args.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out.relative_to(ROOT)} is stale: run `make api-types`", file=sys.stderr)
            sys.exit(1)
        print(f"{out.relative_to(ROOT)} is up to date")
        return
    out.write_text(text)
    print(f"wrote {out.relative_to(ROOT)} ({len(document_paths(text))} paths)")


def document_paths(text: str) -> list[str]:
    return list(json.loads(text)["paths"])


if __name__ == "__main__":
    main()
