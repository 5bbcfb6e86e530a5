#!/usr/bin/env bash
# Loads demo data: runs `manage.py seed` in every service that defines one,
# in dependency order (users before properties before bookings).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
seeded=0
for service in auth_service property_service booking_service rent_service chat_service \
               notification_service search_service; do
  if compgen -G "$service/*/management/commands/seed.py" >/dev/null; then
    printf '==> seeding %s\n' "$service"
    (cd "$service" && "$ROOT/.venv/bin/python" manage.py seed)
    seeded=$((seeded + 1))
  fi
done
printf '==> seeded %d service(s)\n' "$seeded"
