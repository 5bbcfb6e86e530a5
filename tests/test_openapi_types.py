"""The web app's API types are generated, never written by hand, and never
stale: frontend/openapi.json is exactly the gateway's merged schema of the
services as they are (scripts/openapi_schema.py), and
frontend/src/api/schema.d.ts exactly what openapi-typescript makes of it.
`make api-types` regenerates both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"


def test_the_committed_schema_is_the_merged_schema_of_the_services():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "openapi_schema.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_committed_types_are_what_openapi_typescript_makes_of_it(tmp_path):
    out = tmp_path / "schema.d.ts"
    result = subprocess.run(
        [
            str(FRONTEND / "node_modules" / ".bin" / "openapi-typescript"),
            "openapi.json",
            "-o",
            str(out),
        ],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    committed = (FRONTEND / "src" / "api" / "schema.d.ts").read_text()
    assert out.read_text() == committed, (
        "frontend/src/api/schema.d.ts is stale: run `make api-types`"
    )
