from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """argon2id with tiny costs so the suite does not spend minutes hashing.
    Tests only; test_config checks the production hasher and its parameters."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
