"""Private temporary folders of one load (uploaded files, the scratch DuckDB), and the sweep of
those a killed process left behind.

Each folder is made by ``mkdtemp`` (mode 0700) and holds a small file naming the process that
owns it. A process killed with SIGKILL (a server restart, a load past its time limit) cannot
remove its folder, so ``sweep_stale_folders`` removes every folder of ours whose owner is gone
and that is older than a load may run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

UPLOAD_PREFIX = "review-pulse-upload-"
SCRATCH_PREFIX = "review-pulse-scratch-"
OWNER_FILE = ".owner-pid"


def private_folder(prefix: str, root: Path | None = None) -> Path:
    """A new folder only this user can read, marked as this process's."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    descriptor = os.open(folder / OWNER_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(str(os.getpid()))
    return folder


def _owner(folder: Path) -> int | None:
    try:
        return int((folder / OWNER_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def sweep_stale_folders(older_than_seconds: float, root: Path | None = None) -> list[Path]:
    """Remove this user's upload and scratch folders whose owner process is gone and whose last
    change is older than ``older_than_seconds`` (the load time limit: no load runs longer)."""
    root = Path(root or tempfile.gettempdir())
    cutoff = time.time() - older_than_seconds
    removed = []
    for prefix in (UPLOAD_PREFIX, SCRATCH_PREFIX):
        for folder in root.glob(prefix + "*"):
            with contextlib.suppress(OSError):
                info = folder.lstat()
                if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
                    continue
                owner = _owner(folder)
                if (owner is not None and _alive(owner)) or info.st_mtime > cutoff:
                    continue
                shutil.rmtree(folder)
                removed.append(folder)
    return removed


def remove_folders_of(pid: int, root: Path | None = None) -> list[Path]:
    """Remove the folders a process (one this process killed) left behind, whatever their age."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for prefix in (UPLOAD_PREFIX, SCRATCH_PREFIX):
        for folder in root.glob(prefix + "*"):
            if folder.is_dir() and not folder.is_symlink() and _owner(folder) == pid:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed
