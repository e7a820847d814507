"""Driver wrapper: open a driver from :class:`Settings`, run named queries, turn failures into one line.

The driver is always passed in, never global. ``execute_query`` retries transient errors itself;
every query carries metadata naming graphrec so it is visible in ``SHOW TRANSACTIONS``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

import neo4j
from neo4j import Driver, GraphDatabase, Query, RoutingControl
from neo4j import exceptions as nx

from graphrec.config import Settings
from graphrec.errors import DatabaseError, TooExpensiveError

META = {"app": "graphrec"}

CONNECTION_TIMEOUT = 5.0
"""Seconds to open one TCP + Bolt connection (driver default: 30)."""
ACQUISITION_TIMEOUT = 10.0
"""Seconds to get a connection from the pool, opening included (driver default: 60)."""
RETRY_TIME = 5.0
"""Seconds a managed transaction is retried on transient errors, a lost server included (driver default: 30).

The driver waits ~1, 2, 4, 8… s (±20 %) between attempts and stops once ``RETRY_TIME`` has passed at the
end of one: with 5 s it gives up after the attempt at ~7 s (5.6–8.4; with 15 s, the sum of the waits
fell on either side of it, 15–33 s). Together with the timeouts above and the down mark (:func:`guarded`:
once a call found the server gone, the next ones fail at once until it answers again), this bounds how
long any command or request waits once the server is gone: ~7 s for the first call, plus one attempt of
at most ``CONNECTION_TIMEOUT`` when the network drops packets instead of refusing, then one line (the
driver defaults let a load wait more than a minute, and a publish's clean-up retried as long again).
"""


OVER_BUDGET = {
    "Neo.TransientError.General.MemoryPoolOutOfMemoryError": "memory",
    "Neo.TransientError.General.TransactionOutOfMemoryError": "memory",
    "Neo.ClientError.Transaction.TransactionTimedOut": "time",
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration": "time",
}
"""Neo4j status codes of a query stopped for its budget: the transaction's timeout, or the transaction
memory (``db.memory.transaction.max`` or the pool of all transactions, ``dbms.memory.transaction.total.max``)."""


def over_budget(e: BaseException) -> str | None:
    """``"time"`` or ``"memory"`` when ``e`` is Neo4j stopping a query for its budget, else ``None``."""
    return OVER_BUDGET.get(e.code or "") if isinstance(e, nx.Neo4jError) else None


@contextmanager
def within_budget(timeout: float | None = None) -> Iterator[None]:
    """Re-raise Neo4j stopping a query for its budget as :class:`TooExpensiveError`, the rest as is.

    Use it inside a managed transaction's function too: a memory refusal is a transient error, which the
    driver would otherwise retry for ``RETRY_TIME`` and then report as a database failure. A timeout can
    surface at the commit, outside that function.

    Raises:
        TooExpensiveError: over the transaction's ``timeout`` (seconds) or Neo4j's transaction memory.
    """
    try:
        yield
    except nx.Neo4jError as e:
        budget = over_budget(e)
        if budget is None:
            raise
        limit = "Neo4j's transaction memory" if budget == "memory" else (
            f"its {timeout:g} s timeout" if timeout else "its transaction timeout")
        raise TooExpensiveError(budget, f"the query ran over {limit} and was stopped") from e


def _causes(e: BaseException, depth: int = 0) -> Iterator[BaseException]:
    """``e``, then what caused it, depth first (routing failures wrap their causes in an ExceptionGroup)."""
    if depth > 10:
        return
    yield e
    for sub in getattr(e, "exceptions", ()):
        yield from _causes(sub, depth + 1)
    inner = e.__cause__ or e.__context__
    if inner is not None:
        yield from _causes(inner, depth + 1)


def _explain(uri: str, e: Exception) -> DatabaseError:
    if isinstance(e, nx.AuthError):
        return DatabaseError(f"Neo4j at {uri} refused the credentials: {e.message}")
    if isinstance(e, nx.ServiceUnavailable):
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        if "routing information" in reason:
            # "Unable to retrieve routing information" hides why: name the innermost cause instead
            # (a TLS handshake refused by a plain server, a refused connection…)
            inner = [c for c in _causes(e) if isinstance(c, nx.ServiceUnavailable | OSError) and str(c).strip()]
            if len(inner) > 1:
                reason = str(inner[-1]).strip().splitlines()[-1]
        if uri.split("://", 1)[0].endswith(("+s", "+ssc")) and any(
                isinstance(c, ssl.SSLError) for c in _causes(e)):
            return DatabaseError(f"cannot reach Neo4j at {uri}: the TLS handshake failed ({reason}); a server "
                                 f"without TLS needs bolt:// or neo4j:// (no +s)")
        return DatabaseError(f"cannot reach Neo4j at {uri}: {reason} (is it running? `graphrec db start`)")
    if isinstance(e, nx.Neo4jError):
        return DatabaseError(f"Neo4j error {e.code}: {e.message}")
    if isinstance(e, nx.DriverError | OSError):
        return DatabaseError(f"Neo4j driver error talking to {uri}: {e}")
    return DatabaseError(str(e))


@contextmanager
def translated(uri: str) -> Iterator[None]:
    """Re-raise driver exceptions as :class:`DatabaseError` with a one-line message."""
    try:
        yield
    except (nx.Neo4jError, nx.DriverError, OSError) as e:
        raise _explain(uri, e) from e


def connect(settings: Settings, verify: bool = True) -> Driver:
    """Open a driver for ``settings.uri`` (any of ``bolt://``, ``neo4j://``, ``neo4j+s://``).

    Raises:
        DatabaseError: unreachable server or bad credentials (when ``verify``).
        ConfigError: no password configured.
    """
    auth = (settings.user, settings.resolved_password())
    with translated(settings.uri):
        # server notifications (hints such as "property key does not exist" on a fresh graph) are
        # not errors; keep them out of users' terminals
        driver = GraphDatabase.driver(settings.uri, auth=auth, user_agent="graphrec/0.1",
                                      notifications_min_severity="OFF", connection_timeout=CONNECTION_TIMEOUT,
                                      connection_acquisition_timeout=ACQUISITION_TIMEOUT,
                                      max_transaction_retry_time=RETRY_TIME)
        if verify:
            try:
                driver.verify_connectivity()
            except Exception:
                driver.close()
                raise
    setattr(driver, "graphrec_database", settings.database)  # noqa: B010 - carried with the driver
    setattr(driver, "graphrec_uri", settings.uri)  # noqa: B010
    return driver


def _uri(driver: Driver) -> str:
    return cast(str, getattr(driver, "graphrec_uri", "Neo4j"))


def _db(driver: Driver, database: str | None) -> str:
    return database or cast(str, getattr(driver, "graphrec_database", "neo4j"))


def _query(text: str, timeout: float | None = None) -> Query:
    return Query(text, metadata=META, timeout=timeout)


_GONE = (nx.ServiceUnavailable, nx.SessionExpired)


@contextmanager
def guarded(driver: Driver) -> Iterator[None]:
    """:func:`translated`, failing at once while ``driver``'s server is known to be gone.

    A call that finds the server unreachable (after the driver's retries) marks the driver down; while it
    is marked, each call first checks that the server answers (one attempt, no retries) and fails at once
    if not, so a command's clean-up and an API's next requests do not each wait the retry time again.
    The first call that finds it back clears the mark.
    """
    with translated(_uri(driver)):
        if getattr(driver, "graphrec_down", False):
            driver.verify_connectivity()   # raises while it is still gone
            setattr(driver, "graphrec_down", False)  # noqa: B010 - carried with the driver
        try:
            yield
        except _GONE:
            setattr(driver, "graphrec_down", True)  # noqa: B010
            raise


def read(driver: Driver, text: str, params: Mapping[str, Any] | None = None,
         database: str | None = None) -> list[neo4j.Record]:
    """Run a read query (routed to a reader) and return its records."""
    with guarded(driver):
        records, _, _ = driver.execute_query(
            _query(text), dict(params or {}), routing_=RoutingControl.READ, database_=_db(driver, database)
        )
    return records


def write(driver: Driver, text: str, params: Mapping[str, Any] | None = None,
          database: str | None = None) -> neo4j.EagerResult:
    """Run a write query in its own (retried) transaction and return the eager result."""
    with guarded(driver):
        return driver.execute_query(
            _query(text), dict(params or {}), routing_=RoutingControl.WRITE, database_=_db(driver, database)
        )
