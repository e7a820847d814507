"""Start, stop and inspect the local Neo4j: the official ``CommunityEntryPoint`` on a cached classpath.

The launcher is deliberately small: it writes ``neo4j.conf``, sets the initial password with
``neo4j-admin dbms set-initial-password`` before the first start, runs the JVM detached with a pid
file, and waits until Bolt answers a query. ``stop`` sends SIGTERM, which runs Neo4j's own clean
shutdown, so the next start needs no store recovery.

Private by default: the home and server directories are created 0700 and both JVMs run with umask
077, so the store, the logs and ``data/dbms/auth.ini`` are readable by their owner only. The initial
password reaches ``neo4j-admin`` through a Java ``@argfile`` (mode 0600, deleted when the command
ends), so it never appears on a command line (``ps``, ``/proc/<pid>/cmdline``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from graphrec.errors import ServerError
from graphrec.localdb.runtime import NEO4J_VERSION, check_java, ensure_jars
from graphrec.process import process_alive

JVM_OPTS = [
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC", "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true", "-Dlog4j2.disable.jmx=true", "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
]


def transaction_pool(heap: str) -> str | None:
    """Half of a JVM ``heap`` size (``"768m"``, ``"1g"``) in MiB, for ``dbms.memory.transaction.total.max``
    (``None``: a size this does not read). Neo4j's default pool, 70% of the heap, left the 768 MB test server's
    own objects too little room: a runaway query ended in the JVM's "Java heap space", a transient error the
    driver retries, instead of the pool's refusal that graphrec reports at once as too expensive."""
    units = {"k": 1 / 1024, "m": 1, "g": 1024}
    num, unit = heap[:-1], heap[-1:].lower()
    if unit not in units or not num.isdigit():
        return None
    return f"{max(1, int(int(num) * units[unit]) // 2)}m"


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    """A TCP port nothing listens on right now (for throwaway test servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalNeo4j:
    """A Neo4j server living under ``home`` (jars, store, logs, pid file).

    Args:
        home: graphrec's home directory (default in :class:`graphrec.config.Settings`).
        password: the password of user ``neo4j``, set before the first start.
        bolt_port: Bolt port on 127.0.0.1 (default: 7687).
        http_port: HTTP port on 127.0.0.1, serving Neo4j Browser at ``/browser/`` (default: 7474).
        heap: JVM heap size (default: ``1g``).
        pagecache: page cache size (default: ``512m``).
    """

    home: Path
    password: str
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "1g"
    pagecache: str = "512m"

    @property
    def server_dir(self) -> Path:
        return self.home / "neo4j"

    @property
    def data_dir(self) -> Path:
        return self.server_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.server_dir / "logs" / "neo4j.log"

    @property
    def pid_file(self) -> Path:
        return self.server_dir / "run" / "neo4j.pid"

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"

    def pid(self) -> int | None:
        """The server's pid when it is running, else ``None``."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) else None

    def _private_dirs(self) -> None:
        """Create the home and server directories 0700; tighten the server directory and auth file of a
        store made before graphrec did so (the home itself is left as the user made it)."""
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.server_dir.mkdir(mode=0o700, exist_ok=True)
        self.server_dir.chmod(0o700)
        auth = self.data_dir / "dbms" / "auth.ini"
        if auth.exists():
            auth.chmod(0o600)

    def _write_conf(self) -> Path:
        self._private_dirs()
        conf = self.server_dir / "conf"
        conf.mkdir(mode=0o700, parents=True, exist_ok=True)
        rt = ensure_jars(quiet=True)
        lines = {
            "server.default_listen_address": "127.0.0.1",
            "server.default_advertised_address": "127.0.0.1",
            "server.bolt.listen_address": f"127.0.0.1:{self.bolt_port}",
            "server.bolt.advertised_address": f"127.0.0.1:{self.bolt_port}",
            "server.http.listen_address": f"127.0.0.1:{self.http_port}",
            "server.http.advertised_address": f"127.0.0.1:{self.http_port}",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            "dbms.security.procedures.unrestricted": "apoc.*,gds.*",
            "dbms.security.procedures.allowlist": "apoc.*,gds.*",
            "server.directories.data": str(self.data_dir),
            "server.directories.logs": str(self.server_dir / "logs"),
            "server.directories.run": str(self.server_dir / "run"),
            "server.directories.import": str(self.server_dir / "import"),
            "server.directories.plugins": str(rt / "plugins"),
            "server.memory.heap.initial_size": self.heap,
            "server.memory.heap.max_size": self.heap,
            "server.memory.pagecache.size": self.pagecache,
            **({"dbms.memory.transaction.total.max": pool} if (pool := transaction_pool(self.heap)) else {}),
            "dbms.usage_report.enabled": "false",
            "server.config.strict_validation.enabled": "false",
            "db.tx_log.rotation.retention_policy": "1 files",
            "db.tx_log.preallocate": "false",
        }
        path = conf / "neo4j.conf"
        path.unlink(missing_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
            fh.write("# written by graphrec on every start; edit graphrec settings instead\n"
                     + "".join(f"{k}={v}\n" for k, v in lines.items()))
        return conf

    def _java(self, main: str, *args: str, extra: list[str] | None = None) -> list[str]:
        rt = ensure_jars(quiet=True)
        return ["java", *(extra or []), "-cp", f"{rt / 'lib'}/*", main, *args]

    def _set_initial_password(self, conf: Path) -> None:
        if (self.data_dir / "dbms" / "auth.ini").exists() or (self.data_dir / "databases" / "system").exists():
            return
        env = {**os.environ, "NEO4J_HOME": str(self.server_dir), "NEO4J_CONF": str(conf)}
        # the main class and its arguments go in an @argfile, so the password is on no command line
        argfile = self.server_dir / "set-initial-password.args"
        quoted = self.password.replace("\\", "\\\\").replace('"', '\\"')
        argfile.unlink(missing_ok=True)
        fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            # "--" ends the options: a password may begin with "-" (token_urlsafe does, 1 time in 64)
            fh.write(f'org.neo4j.cli.AdminTool\ndbms\nset-initial-password\n--\n"{quoted}"\n')
        try:
            rt = ensure_jars(quiet=True)
            proc = subprocess.run(["java", "-cp", f"{rt / 'lib'}/*", f"@{argfile}"], env=env, capture_output=True,
                                  text=True, check=False, umask=0o077)
        finally:
            argfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise ServerError(f"neo4j-admin set-initial-password failed: {proc.stderr.strip()[-300:]}")

    def start(self, timeout: float = 180.0) -> bool:
        """Start the server unless it runs already; wait until Bolt answers a query.

        Returns:
            ``True`` when this call started it, ``False`` when it was already running.

        Raises:
            ServerError: Java/Maven missing, a port in use, or the server failed to come up.
        """
        if self.pid() is not None:
            self.wait_ready(timeout)
            return False
        for port, what in ((self.bolt_port, "Bolt"), (self.http_port, "HTTP")):
            if port_in_use(port):
                raise ServerError(
                    f"{what} port {port} is already in use by another process (another Neo4j?); "
                    f"stop it or choose another port (GRAPHREC_BOLT_PORT / GRAPHREC_HTTP_PORT)"
                )
        check_java()
        conf = self._write_conf()
        self._set_initial_password(conf)
        self.pid_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        console = self.server_dir / "logs" / "console.log"
        console.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        cmd = self._java("org.neo4j.server.CommunityEntryPoint", f"--home-dir={self.server_dir}",
                         f"--config-dir={conf}", extra=[f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_OPTS])
        with os.fdopen(os.open(console, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=self.server_dir, start_new_session=True, umask=0o077)
        self.pid_file.write_text(f"{proc.pid}\n")
        try:
            self.wait_ready(timeout, proc)
        except ServerError:
            self.stop()
            raise
        return True

    def _failure_reason(self) -> str:
        for path in (self.log_file, self.server_dir / "logs" / "console.log"):
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()
                causes = [ln.strip() for ln in lines if ln.strip().startswith("Caused by:")]
                errors = [ln for ln in lines if " ERROR " in ln]
                if causes:
                    return causes[-1][:400]
                if errors:
                    return errors[-1][:400]
        return "no reason in the logs"

    def wait_ready(self, timeout: float = 180.0, proc: subprocess.Popen[bytes] | None = None) -> None:
        """Block until Bolt accepts a login and answers ``RETURN 1``.

        Raises:
            ServerError: the process died or ``timeout`` passed.
        """
        from neo4j import GraphDatabase
        from neo4j import exceptions as nx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise ServerError(f"Neo4j exited during start (code {proc.returncode}): {self._failure_reason()}")
            if proc is None and self.pid() is None:
                raise ServerError(f"Neo4j is not running: {self._failure_reason()}")
            if port_in_use(self.bolt_port):
                try:
                    with GraphDatabase.driver(self.bolt_uri, auth=("neo4j", self.password)) as drv:
                        drv.execute_query("RETURN 1", database_="neo4j")
                    return
                except nx.AuthError as e:
                    raise ServerError(f"local Neo4j rejected the stored password: {e.message}") from e
                except (nx.ServiceUnavailable, nx.SessionExpired, nx.TransientError, nx.DatabaseUnavailable,
                        OSError):
                    pass
                except nx.ClientError as e:
                    if "DatabaseNotFound" not in (e.code or "") and "Unavailable" not in (e.code or ""):
                        raise ServerError(f"local Neo4j answered with an error: {e.message}") from e
            time.sleep(0.5)
        raise ServerError(f"Neo4j did not answer on {self.bolt_uri} within {timeout:.0f}s: {self._failure_reason()}")

    def stop(self, timeout: float = 90.0) -> bool:
        """Shut the server down cleanly (SIGTERM runs Neo4j's shutdown). Returns whether one was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:  # reap it if it is our child
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not process_alive(pid):
                break
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
            raise ServerError(f"Neo4j (pid {pid}) did not stop within {timeout:.0f}s and was killed")
        self.pid_file.unlink(missing_ok=True)
        return True

    def store_size(self) -> int:
        """Bytes used by the store directory."""
        if not self.data_dir.exists():
            return 0
        return sum(p.stat().st_size for p in self.data_dir.rglob("*") if p.is_file() and not p.is_symlink())

    def status(self) -> dict[str, object]:
        """Version, URIs, store path and size, and whether the server runs."""
        pid = self.pid()
        return {
            "running": pid is not None,
            "pid": pid,
            "version": f"Neo4j {NEO4J_VERSION} Community",
            "bolt": self.bolt_uri,
            "http": f"http://127.0.0.1:{self.http_port}/",
            "browser": self.browser_url,
            "store": str(self.data_dir),
            "store_bytes": self.store_size(),
            "logs": str(self.log_file),
        }

    def logs(self, lines: int = 50) -> str:
        """The last ``lines`` lines of ``neo4j.log``."""
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
