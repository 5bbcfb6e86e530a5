"""RentEzy shared plumbing: see README.md beside pyproject.toml for the module map."""
