#!/usr/bin/env python
"""manage.py of the rentezy_platform test project (e.g. `outbox_relay` as a subprocess)."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # The project package is `tests`, importable from the library directory.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
