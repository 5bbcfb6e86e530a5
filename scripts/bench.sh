#!/usr/bin/env bash
# Runs every benchmark in bench/ against the real stack; each writes its
# JSON result under bench/results/ and prints a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
for bench in bench/*_bench.py; do
  printf '\n==> %s\n' "$bench"
  .venv/bin/python "$bench"
done
printf '\n==> results in bench/results/\n'
ls -1 bench/results/*.json
