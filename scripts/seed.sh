#!/usr/bin/env bash
# Loads demo data into the native dev stack's databases (`make seed`; run
# `make dev-up` or `make migrate` first). Idempotent: a second run adds nothing.
#
# 1. auth_service: the demo accounts — a tenant, and the landlords that own
#    the demo properties (their ids come from property_service's demo data).
# 2. property_service: realistic properties with photos, announced through the
#    outbox like any write (the running relay and search consumer index them).
# 3. `manage.py seed` of any other service that defines one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY="$ROOT/.venv/bin/python"
mkdir -p .data/seed

printf '==> demo accounts (auth_service)\n'
(cd property_service && "$PY" manage.py seed --landlords-json) > .data/seed/demo_landlords.json
(cd auth_service && "$PY" manage.py seed --accounts-json "$ROOT/.data/seed/demo_landlords.json")

printf '==> demo properties (property_service)\n'
(cd property_service && "$PY" manage.py seed "$@")

# The other services seed against the same demo properties: they get the same
# --count and --seed (booking_service waits until its projection holds them).
DEMO_ARGS=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --count|--seed) DEMO_ARGS+=("${args[$i]}" "${args[$((i + 1))]:-}"); i=$((i + 1)) ;;
    --count=*|--seed=*) DEMO_ARGS+=("${args[$i]}") ;;
  esac
done

for service in booking_service rent_service chat_service notification_service search_service; do
  if compgen -G "$service/*/management/commands/seed.py" >/dev/null; then
    printf '==> seeding %s\n' "$service"
    (cd "$service" && "$PY" manage.py seed ${DEMO_ARGS[@]+"${DEMO_ARGS[@]}"})
  fi
done
printf '==> demo data loaded. Log in as alex.morgan@tenants.rentezy.dev (tenant) or any\n'
printf '    landlord above; the passwords are printed with the accounts.\n'
