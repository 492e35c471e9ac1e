"""Which sources the deployment ingests, from the environment (one place).

LIFECYCLE_SOURCE   demo (default): the generated demo business;
                   files: the file-drop folder LIFECYCLE_FILES_DIR;
                   api: every API connector whose credentials are set.
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCE_ENV = "LIFECYCLE_SOURCE"
FILES_DIR_ENV = "LIFECYCLE_FILES_DIR"
SOURCES = ("demo", "files", "api")


def source_mode() -> str:
    mode = os.environ.get(SOURCE_ENV, "demo").strip().lower()
    if mode not in SOURCES:
        raise ValueError(f"{SOURCE_ENV}={mode!r} is not one of {', '.join(SOURCES)}")
    return mode


def files_dir() -> Path:
    return Path(os.environ.get(FILES_DIR_ENV) or "data/file_drop").expanduser().resolve()
