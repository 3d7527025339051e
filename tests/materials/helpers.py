"""Shared helpers of the materials tests."""

import os
from pathlib import Path

from django.conf import settings


def stored_files() -> set[str]:
    """Every file under the media root (relative paths): "nothing left behind" checks."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    found = set()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            found.add(str(Path(folder, name).relative_to(root)))
    return found
