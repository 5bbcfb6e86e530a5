#!/usr/bin/env bash
# `make bench`: every benchmark in bench/ against the real stack, one after
# the other (each writes bench/results/<name>.json and prints a summary), then
# bench/report.py turns them into bench/REPORT.md, bench/results/latest.json
# and the load plot bench/load_steps.png. The benchmarks measure; run them on
# a quiet machine: each records the load average beside its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${RENTEZY_DATA_DIR:-$PWD/.data}/tools"
mkdir -p bench/results
printf '==> the load bench and the report need locust and matplotlib (tools/locust/uv.lock)\n'
UV_PROJECT_ENVIRONMENT="$TOOLS/locust" python3 -m uv sync --frozen --quiet --project tools/locust
failed=()
for bench in bench/*_bench.py; do
  printf '\n==> %s (%s)\n' "$bench" "$(date -u +%H:%M:%S)"
  .venv/bin/python "$bench" || failed+=("$bench")
done
printf '\n==> report\n'
"$TOOLS/locust/bin/python" bench/report.py
if ((${#failed[@]})); then
  printf '==> FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
