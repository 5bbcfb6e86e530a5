"""Idempotency-Key for POST endpoints (install `rentezy_platform.idempotency`).

A view wraps the call of its service in `idempotent(request, run)`; see
services.py for the rules.
"""
