"""Writes the Kubernetes JSON schemas (strict: unknown fields are errors) that
kubeconform validates the kustomize output against, from the copy the locked
`kubernetes-validate` package ships (no download): its schemas reference
their shared definitions by an absolute https URL, which kubeconform would
try to fetch; here each file refers to `_definitions.json` beside it.

    .venv/bin/python scripts/deploy/k8s_schemas.py OUT_DIR [--version v1.33.0]
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path

DEFAULT_VERSION = "v1.33.0"  # the EKS version efs-role/eksctl-cluster.yaml creates


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--version", default=DEFAULT_VERSION)
    options = parser.parse_args(argv)
    source = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    source = source / f"{options.version}-local-strict"
    if not source.is_dir():
        print(f"kubernetes-validate has no schemas for {options.version}", file=sys.stderr)
        return 1
    options.out.mkdir(parents=True, exist_ok=True)
    count = 0
    for entry in source.iterdir():
        if not entry.name.endswith(".json"):
            continue
        schema = json.loads(entry.read_text())
        schema.pop("$id", None)
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
        (options.out / entry.name).write_text(text)
        count += 1
    print(f"{count} Kubernetes {options.version} schemas in {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
