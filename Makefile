# RentEzy: every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help bootstrap infra-up infra-down infra-status migrate dev dev-up dev-down test bench seed lint api-types screenshots manifests deploy-check

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

bootstrap: ## install uv, the locked Python workspace and the web app's locked npm packages
	@bash scripts/bootstrap.sh

infra-up: ## install (if missing) and start PostgreSQL, Redis, Kafka, OpenSearch, stripe-mock, localstripe
	@bash scripts/infra/up.sh

infra-down: ## stop the infrastructure that infra-up started
	@bash scripts/infra/down.sh

infra-status: ## show what infrastructure is running
	@bash scripts/infra/status.sh

migrate: bootstrap infra-up ## apply every service's migrations
	@bash scripts/dev/migrate.sh

dev: ## provision what is missing and run the whole platform in the foreground
	@bash scripts/bootstrap.sh
	@bash scripts/dev/run.sh

dev-up: ## same as dev, in the background; returns once every /healthz answers
	@bash scripts/bootstrap.sh
	@bash scripts/dev/up.sh

dev-down: ## stop the platform and the infrastructure, leaving nothing running
	@bash scripts/dev/down.sh --all

test: ## provision what is missing and run every test suite
	@bash scripts/test.sh

bench: bootstrap infra-up ## run every benchmark, then bench/REPORT.md (figures, goals, load plot)
	@bash scripts/bench.sh

seed: bootstrap ## load demo data into a running platform
	@bash scripts/seed.sh

api-types: bootstrap ## regenerate the web app's API types from the services' merged OpenAPI schema
	@.venv/bin/python scripts/openapi_schema.py
	@cd frontend && node_modules/.bin/openapi-typescript openapi.json -o src/api/schema.d.ts

screenshots: bootstrap infra-up ## PNGs of the main pages at desktop and phone widths into docs/screenshots/ (the browser test's run)
	@mkdir -p docs/screenshots
	@cd tests && SCREENSHOTS_DIR="$(CURDIR)/docs/screenshots" ../.venv/bin/python -m pytest -q -p no:cacheprovider test_web_e2e.py

manifests: bootstrap ## regenerate docker-compose.yml and k8s/base workloads from the Procfile
	@.venv/bin/python scripts/deploy/generate.py

deploy-check: bootstrap ## validate Dockerfiles, Compose and the Kubernetes overlays (no Docker or cluster needed)
	@bash scripts/deploy/tools.sh
	@cd tests && ../.venv/bin/python -m pytest -q -p no:cacheprovider test_deployment.py test_manifests.py

lint: bootstrap ## ruff over the Python code
	@.venv/bin/ruff check .
