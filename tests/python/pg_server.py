"""A private PostgreSQL server for the tests of the RDS recipes (Python and Node).

The real PostgreSQL of the machine (Debian's ``postgresql`` package: binaries
under /usr/lib/postgresql/<version>/bin, the newest version wins; else
``initdb`` and ``postgres`` on PATH; ``IAMCORE_PG_BINDIR`` names another
directory), run from a fresh temporary directory:

- listens on 127.0.0.1 only, on a free port, and on a Unix socket in that
  directory;
- ``pg_hba.conf``: the superuser ``iamcore_admin`` over the Unix socket only
  (trust: the socket directory is private); every other role over TCP with a
  password: members of the group role ``rds_iam`` send it in clear text (the
  ``password`` method, as RDS asks IAM users to), the others use
  ``scram-sha-256``;
- TLS on, with a certificate for 127.0.0.1 and localhost that a throw-away
  test CA signs (made with the openssl command, as the IAM emulator's):
  ``ca_file`` in :meth:`info`, for ``sslmode=verify-full``; clients that do
  not ask for TLS still log in without it;
- runs as an unprivileged user: ``initdb`` refuses to run as root, so a root
  caller (CI) runs it as ``postgres`` (created by the Debian package) or else
  ``nobody``; any other user runs it as itself;
- stopped (fast shutdown) and its directory removed by :meth:`stop`; if the
  process that started it dies first, the kernel sends it SIGQUIT (immediate
  shutdown).

In Python::

    server = PostgresServer.start()      # raises Unavailable or StartError
    ...; server.stop()

From another language (tests/node/pg-server.js)::

    python3 tests/python/pg_server.py --exit-on-stdin-eof

prints one JSON line -- the server's :meth:`info`, or ``{"unavailable": why}``
(no PostgreSQL binaries: exit status 3) or ``{"error": why}`` (exit status 1)
-- and stops the server when its standard input closes or on SIGTERM/SIGINT.

Whether a missing PostgreSQL fails or skips the tests is the callers' choice:
they fail when ``IAMCORE_REQUIRE_POSTGRES`` is set (scripts/test.sh sets it),
and a server that cannot start always fails them.
"""

import atexit
import ctypes
import glob
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REQUIRE_ENV = "IAMCORE_REQUIRE_POSTGRES"
BINDIR_ENV = "IAMCORE_PG_BINDIR"
SUPERUSER = "iamcore_admin"
DATABASE = "postgres"
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
UNPRIVILEGED_USERS = ("postgres", "nobody")
# Members of this group role log in with a clear-text password, as RDS asks
# IAM users to (over TLS there); every other role with SCRAM.
IAM_GROUP = "rds_iam"

HBA = """\
# written by tests/python/pg_server.py
local all %s trust
host all +%s 127.0.0.1/32 password
host all all 127.0.0.1/32 scram-sha-256
""" % (SUPERUSER, IAM_GROUP)

# Appended to postgresql.conf (later lines win). Durability is not needed.
SETTINGS = """
listen_addresses = '%s'
password_encryption = 'scram-sha-256'
max_connections = 40
shared_buffers = 16MB
dynamic_shared_memory_type = mmap
fsync = off
synchronous_commit = off
full_page_writes = off
""" % HOST

_PR_SET_PDEATHSIG = 1
EMULATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulator", "iam_emulator.py")


class Unavailable(Exception):
    """No PostgreSQL binaries on this machine."""


class StartError(Exception):
    """PostgreSQL is installed but could not be started."""


def required():
    """True when a missing PostgreSQL must fail the tests instead of skipping them."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def _version_key(bindir):
    name = os.path.basename(os.path.dirname(bindir))
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def find_bindir():
    """The directory holding initdb and postgres, or None."""
    if os.environ.get(BINDIR_ENV):
        candidates = [os.environ[BINDIR_ENV]]
    else:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
        initdb = shutil.which("initdb")
        if initdb:
            candidates.append(os.path.dirname(os.path.realpath(initdb)))
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, tool), os.X_OK) for tool in ("initdb", "postgres")):
            return bindir
    return None


def _run_as():
    """(uid, gid) to run PostgreSQL as, or None to run it as the caller."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise StartError("running as root and neither of the users %s exists to run PostgreSQL as"
                     % " nor ".join(UNPRIVILEGED_USERS))


def _die_with_parent():
    # Runs in the child after the switch of user (a change of credentials
    # clears the parent-death signal, so it is set after it).
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _make_certificates(directory):
    """(ca, cert, key) paths: the IAM emulator's throw-away test CA and server certificate."""
    spec = importlib.util.spec_from_file_location("iamcore_test_emulator", EMULATOR)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(EMULATOR))  # its sibling modules
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(os.path.dirname(EMULATOR))
    try:
        return module.make_certificates(directory)
    except (RuntimeError, OSError) as exc:
        raise StartError("the TLS certificates could not be made: %s" % exc)


def _tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:]).rstrip()
    except OSError:
        return "(no log)"


_running = set()


@atexit.register
def _stop_all():
    for server in list(_running):
        server.stop()


class PostgresServer:
    """A running private PostgreSQL server (see the module's documentation)."""

    superuser = SUPERUSER
    database = DATABASE
    host = HOST
    iam_group = IAM_GROUP

    def __init__(self, bindir, workdir, owner):
        self.bindir = bindir
        self.dir = workdir
        self.socket_dir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.log_file = os.path.join(workdir, "postgres.log")
        self.port = None
        self.version = None
        self.ca_file = None
        self._owner = owner
        self._proc = None
        self._lock = threading.Lock()

    @classmethod
    def start(cls, timeout=START_TIMEOUT):
        bindir = find_bindir()
        if bindir is None:
            where = os.environ.get(BINDIR_ENV) or "/usr/lib/postgresql/<version>/bin or on PATH"
            raise Unavailable("no PostgreSQL binaries (initdb, postgres) in %s: install the "
                              "postgresql package (scripts/deps.sh)" % where)
        owner = _run_as()
        workdir = tempfile.mkdtemp(prefix="iamcore-pg-")
        server = cls(bindir, workdir, owner)
        _running.add(server)
        try:
            if owner is not None:
                os.chown(workdir, *owner)
            server._initdb()
            deadline = time.monotonic() + timeout
            for attempt in range(3):
                if server._launch(deadline):
                    break
                # Another process took the free port in between: try another.
                if attempt == 2:
                    raise StartError("no free port could be bound:\n" + _tail(server.log_file))
        except BaseException:
            server.stop()
            raise
        return server

    def _child_options(self):
        opts = {
            "cwd": self.dir,
            "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"},
            "preexec_fn": _die_with_parent,
        }
        if self._owner is not None:
            opts.update(user=self._owner[0], group=self._owner[1], extra_groups=[])
        return opts

    def _run(self, what, args, stdin=b""):
        """Run a PostgreSQL tool to completion, its output in the log."""
        with open(self.log_file, "ab") as log:
            status = subprocess.run(
                [os.path.join(self.bindir, args[0])] + args[1:], input=stdin,
                stdout=log, stderr=subprocess.STDOUT, timeout=120, **self._child_options(),
            ).returncode
        if status != 0:
            raise StartError("%s failed (exit status %d):\n%s" % (what, status, _tail(self.log_file)))

    def _initdb(self):
        # postgres answers --version before it checks that it is not root. The same
        # clean environment as the server's (no LD_PRELOAD of a sanitizer runtime).
        self.version = subprocess.run(
            [os.path.join(self.bindir, "postgres"), "--version"],
            capture_output=True, text=True, check=True, timeout=30,
            env=self._child_options()["env"],
        ).stdout.strip()
        self._run("initdb", ["initdb", "-D", self.data_dir, "-U", SUPERUSER, "-A", "trust",
                             "-E", "UTF8", "--locale=C", "--no-sync"])
        self._write("pg_hba.conf", HBA, append=False)
        self._write("postgresql.conf", SETTINGS, append=True)
        self._enable_tls()
        # The group role RDS grants to IAM users, made in single-user mode (no
        # client library needed here).
        self._run("creating the role " + IAM_GROUP,
                  ["postgres", "--single", "-D", self.data_dir, DATABASE],
                  stdin=b"CREATE ROLE %s NOLOGIN;\n" % IAM_GROUP.encode())

    def _enable_tls(self):
        tls_dir = os.path.join(self.dir, "tls")
        os.mkdir(tls_dir)
        self.ca_file, cert, key = _make_certificates(tls_dir)
        os.chmod(key, 0o600)  # postgres refuses a key others can read
        if self._owner is not None:
            for path in (cert, key):
                os.chown(path, *self._owner)
        self._write("postgresql.conf", "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n"
                    % (cert, key), append=True)

    def _write(self, name, text, append):
        path = os.path.join(self.data_dir, name)
        with open(path, "a" if append else "w") as f:
            f.write(text)
        if self._owner is not None:
            os.chown(path, *self._owner)

    def _launch(self, deadline):
        """Start postgres on a free port; False when that port was taken meanwhile."""
        self.port = _free_port()
        log = open(self.log_file, "ab")
        try:
            self._proc = subprocess.Popen(
                [os.path.join(self.bindir, "postgres"), "-D", self.data_dir,
                 "-p", str(self.port), "-k", self.socket_dir],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                **self._child_options(),
            )
        finally:
            log.close()
        pid_file = os.path.join(self.data_dir, "postmaster.pid")
        while True:
            if self._proc.poll() is not None:
                log_text = _tail(self.log_file)
                self._proc = None
                if "could not bind" in log_text or "Address already in use" in log_text:
                    return False
                raise StartError("postgres exited during start-up:\n" + log_text)
            try:
                with open(pid_file) as f:
                    lines = f.read().splitlines()
                # The 8th line is the postmaster's status, as pg_ctl -w reads it.
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return True
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise StartError("postgres was not ready within %d s:\n%s"
                                 % (START_TIMEOUT, _tail(self.log_file)))
            time.sleep(0.05)

    def info(self):
        """What a client needs, as JSON-ready data."""
        return {
            "host": HOST,
            "port": self.port,
            "socket_dir": self.socket_dir,
            "superuser": SUPERUSER,
            "database": DATABASE,
            "iam_group": IAM_GROUP,
            "version": self.version,
            "ca_file": self.ca_file,
            "pid": self._proc.pid if self._proc is not None else None,
        }

    def stop(self):
        """Fast shutdown, then remove the directory. Idempotent."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and proc.poll() is None:
                for sig, wait in ((signal.SIGINT, 15), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
                    proc.send_signal(sig)
                    try:
                        proc.wait(wait)
                        break
                    except subprocess.TimeoutExpired:
                        continue
            if self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None
            _running.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _main(argv):
    exit_on_eof = "--exit-on-stdin-eof" in argv
    try:
        server = PostgresServer.start()
    except Unavailable as exc:
        print(json.dumps({"unavailable": str(exc)}), flush=True)
        return 3
    except (StartError, OSError, subprocess.SubprocessError) as exc:
        print(json.dumps({"error": "%s: %s" % (type(exc).__name__, exc)}), flush=True)
        return 1
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(json.dumps(server.info()), flush=True)
    if exit_on_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
