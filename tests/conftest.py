import os
from pathlib import Path

import environ
import pytest

ROOT = Path(__file__).resolve().parents[1]

# The same defaults the native stack runs with; variables already set win.
environ.Env.read_env(ROOT / "dev.env", overwrite=False)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dev_env() -> dict[str, str]:
    return dict(os.environ)
