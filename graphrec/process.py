"""Whether a process of this host is alive: one check for the server's pid file and the writer lease."""

from __future__ import annotations

import os


def process_alive(pid: object) -> bool:
    """Whether process ``pid`` exists and is not a zombie (``True`` when unsure, e.g. not ours to signal)."""
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is gone; the command name may hold spaces and ')'
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
