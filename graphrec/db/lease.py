"""A database-level lease: one graphrec writer at a time (load, publish, prune, refresh).

The lease is a ``(:GraphrecLock {name, token, owner, started, expires})`` node under a uniqueness
constraint on ``name``. Taking it is one transaction that creates the node, or takes it over when its
holder let it expire (a holder killed with SIGKILL cannot release it); giving it back deletes the node.
A holder on this host whose process no longer exists is taken over at once, without waiting for the
expiry (so a load killed with SIGKILL can be re-run straight away).
While held, a daemon thread renews it every ``ttl_s / 3`` seconds, so only a holder that stopped
running loses it. A holder that finds its lease gone (taken over after it stalled past the expiry)
stops at its next :meth:`Lease.check` instead of writing on beside the new holder::

    with lease(driver, "writer", owner="load movielens-100k"):
        ...  # call .check() between batches

A second writer fails at once with one line naming the holder (:class:`LeaseError`); it does not wait.
Within one process the lease is re-entrant: a ``with lease(...)`` inside another on the same driver and
name reuses the held lease (so a command may hold it around functions that take it themselves).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver

from graphrec.db.driver import read, translated, write
from graphrec.db.queries import load_query
from graphrec.errors import DatabaseError, GraphRecError, LeaseError
from graphrec.process import process_alive

WRITER = "writer"
"""The lease every command that writes graph data takes."""

DEFAULT_TTL_S = 60.0
"""Seconds a lease outlives its last renewal (default): how long a killed holder blocks others."""

_HELD: dict[tuple[int, str], Lease] = {}
_HELD_LOCK = threading.Lock()


@dataclass
class Lease:
    """A lease held by this process (returned by :func:`lease`)."""

    driver: Driver
    name: str
    owner: str
    token: str
    ttl_s: float
    expires: str
    lost: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def check(self) -> None:
        """Raise when the lease was lost (taken over by another writer after it expired).

        Raises:
            LeaseError: naming what happened.
        """
        if self.lost is not None:
            raise LeaseError(f"lost the database lease {self.name!r} while writing ({self.lost}); "
                             f"stopped before writing more; re-run the command")

    def renew(self) -> bool:
        """Extend the lease; ``False`` (and :attr:`lost` set) when it is no longer ours."""
        rows = write(self.driver, load_query("lease/renew"),
                     {"name": self.name, "token": self.token, "ttl": self.ttl_s}).records
        if not rows:
            self.lost = self.lost or "it expired and another writer took it over"
            return False
        self.expires = str(rows[0]["expires"])
        return True

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                if not self.renew():
                    return
            except GraphRecError:  # the server is away: the writer itself will fail and report it
                continue

    def release(self) -> None:
        """Stop renewing and delete the lease node if it is still ours.

        One attempt, not retried: release runs in ``finally``, often because the server went away, and
        retrying would hold the command's exit for the driver's whole retry time. A lease that could not
        be released expires by itself.
        """
        self._stop.set()
        database = getattr(self.driver, "graphrec_database", None)
        with translated(str(getattr(self.driver, "graphrec_uri", "Neo4j"))), self.driver.session(
                database=database if isinstance(database, str) else None) as session:
            session.run(load_query("lease/release"), {"name": self.name, "token": self.token}).consume()


def default_owner(what: str) -> str:
    """``"<what> (pid <pid> on <host>)"``: who holds a lease, for the message another writer sees."""
    return f"{what} (pid {os.getpid()} on {socket.gethostname()})"


def holder(driver: Driver, name: str = WRITER) -> dict[str, object] | None:
    """The current holder of lease ``name`` (owner, started, expires, expired), or ``None``."""
    rows = read(driver, load_query("lease/holder"), {"name": name})
    return rows[0].data() if rows else None


def acquire(driver: Driver, name: str = WRITER, owner: str | None = None,
            ttl_s: float = DEFAULT_TTL_S) -> Lease:
    """Take lease ``name`` now, or fail.

    Raises:
        LeaseError: another live writer holds it (the message names it and when it expires).
        DatabaseError: Neo4j failed.
    """
    if ttl_s <= 0:
        raise ValueError(f"ttl_s must be > 0, got {ttl_s}")
    owner = owner or default_owner("graphrec")
    token = secrets.token_hex(16)
    params = {"name": name, "token": token, "owner": owner, "host": socket.gethostname(), "pid": os.getpid(),
              "ttl": ttl_s}
    write(driver, load_query("lease/constraint"))
    rows = write(driver, load_query("lease/acquire"), params).records
    if not rows:
        raise DatabaseError(f"taking the database lease {name!r} returned nothing")
    row: dict[str, Any] = rows[0].data()
    if not row["acquired"] and row["host"] == params["host"] and not process_alive(row["pid"]):
        taken = write(driver, load_query("lease/take_over"), {**params, "old": row["token"]}).records
        if taken:
            row = {**row, "acquired": True, "expires": taken[0]["expires"]}
    if not row["acquired"]:
        raise LeaseError(f"another graphrec writer is using the database: {row['owner']} since {row['started']} "
                         f"(lease {name!r}, held until {row['expires']} unless renewed); wait for it to finish "
                         f"and run this again")
    held = Lease(driver, name, owner, token, ttl_s, str(row["expires"]))
    threading.Thread(target=held._heartbeat, name=f"lease-{name}", daemon=True).start()
    return held


@contextmanager
def lease(driver: Driver, name: str = WRITER, owner: str | None = None,
          ttl_s: float = DEFAULT_TTL_S) -> Iterator[Lease]:
    """Hold lease ``name`` for the ``with`` block; released in ``finally`` (see the module docstring).

    Args:
        driver: an open driver.
        name: which lease (default: ``"writer"``, the one every graph writer takes).
        owner: who is asking, shown to a writer that is refused (default: ``graphrec (pid … on …)``).
        ttl_s: seconds the lease lives past its last renewal (default: 60).

    Raises:
        LeaseError: another live writer holds it, or it was lost while held (at :meth:`Lease.check`).
    """
    key = (id(driver), name)
    with _HELD_LOCK:
        outer = _HELD.get(key)
    if outer is not None:  # re-entered: the outer ``with`` releases it
        outer.check()
        yield outer
        return
    held = acquire(driver, name, owner, ttl_s)
    with _HELD_LOCK:
        _HELD[key] = held
    try:
        yield held
    finally:
        with _HELD_LOCK:
            _HELD.pop(key, None)
        try:
            held.release()
        except GraphRecError:
            pass  # the server is gone: the lease expires by itself; the original error is what matters
