"""Files the platform makes for itself once (secret keys, signing keys): written whole, private,
and agreed on by processes that start at once. Stdlib only: config.py uses it too."""

from __future__ import annotations

import os
from pathlib import Path


def write_once(path: Path, data: bytes) -> None:
    """Put `data` at `path` (mode 0600) unless a file is there. Two processes starting together
    (the web server and the scheduler) agree on one: each writes a file of its own and links it
    into place, which only the first can do; the other's is dropped and theirs is used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        draft.unlink()
