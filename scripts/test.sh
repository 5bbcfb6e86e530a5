#!/usr/bin/env bash
# Runs every test suite against the real infrastructure and prints one
# closing summary line. Each Django project runs in its own pytest process
# (every service has its own `config` package and settings).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS="${RENTEZY_DATA_DIR:-$ROOT/.data}/test-results"

bash scripts/bootstrap.sh || exit 1
bash scripts/deploy/tools.sh || exit 1  # kustomize, kubeconform, compose-go, checkov
bash scripts/infra/up.sh || exit 1

rm -rf "$RESULTS" && mkdir -p "$RESULTS"
SUITES=(libs/rentezy_platform api_gateway auth_service property_service booking_service
        rent_service chat_service notification_service search_service frontend tests)
if [ "$#" -gt 0 ]; then SUITES=("$@"); fi

for suite in "${SUITES[@]}"; do
  name=${suite//\//_}
  printf '\n==> pytest %s\n' "$suite"
  start=$SECONDS
  if [ "$suite" = frontend ]; then
    # The web app: its type check (a failure is one failed test), then
    # Vitest and Testing Library (jsdom), reported as JUnit XML like pytest.
    printf '\n==> frontend: tsc, then vitest\n'
    (cd frontend && node_modules/.bin/tsc -b --noEmit &&
      node_modules/.bin/vitest run --reporter=default --reporter=junit \
        --outputFile.junit="$RESULTS/$name.xml")
  else
    (cd "$suite" && "$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider \
        --junitxml="$RESULTS/$name.xml")
  fi
  if [ ! -s "$RESULTS/$name.xml" ]; then
    # pytest died before writing its report: count the suite as one error.
    printf '<testsuite name="%s" tests="1" errors="1" failures="0" skipped="0"/>\n' \
      "$suite" > "$RESULTS/$name.xml"
  fi
  printf '==> %s finished in %ss\n' "$suite" "$((SECONDS - start))"
done

exec "$ROOT/.venv/bin/python" scripts/test_summary.py "$RESULTS"
