"""The platform's PostgreSQL database backend (see `base`)."""
