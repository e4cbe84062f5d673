"""Proves that no test secret shows in anything a test run prints or logs.

The secrets: every secret the emulator received or handed out during the run
(its IAMCORE_EMULATOR_SECRETS_LOG, see tests/emulator/README.md), the constants
tests register with register(), and anything shaped like a presigned AWS token
(``X-Amz-Signature=`` and 64 hex digits: an RDS, DSQL or ElastiCache token, or a
presigned URL, is a bearer credential). A finding names the secret's number and
source and where it was seen, never the secret.

As a pytest plugin (tests/python/conftest.py registers it) it collects, for the
whole run: what every test printed on stdout/stderr and logged (pytest's captured
sections, passing tests included, and what tests read through capsys/capfd), the
records of the "iamcore" logger at whatever level the tests set, the text, repr
and fields of every iamcore.Error created, the stderr the tests collect from
child processes (subprocess.run, Popen.communicate; stdout is the program's
product: a token printed by ``iamcore token`` is what it is for), and the reports
of failed tests (for the emulator's secrets only: a test's source code holds its
own constants). At the end of the session a finding fails the run.

As a program it scans files (the console output of the C and Node suites, the
files the Node preload tests/node/secret-scan-preload.js writes):

    python3 tests/python/secret_scan.py --secrets LOG [--secrets LOG ...] FILE...
"""

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading

PIECE = 8  # every secret looked for is at least this long
PRESIGNED = re.compile(r"X-Amz-Signature(?:=|%3D)[0-9a-f]{64}")
SECRETS_LOG_ENV = "IAMCORE_EMULATOR_SECRETS_LOG"

_registered = {}  # secret -> what it is
_lock = threading.Lock()


def register(*secrets, what="a test constant"):
    """Add secrets to look for (tests call it for their own constants). They also go
    to the run's secrets log, for the scan of the console output at the end."""
    with _lock:
        new = [s for s in secrets if isinstance(s, str) and len(s) >= PIECE and s not in _registered]
        for s in new:
            _registered[s] = what
        log = os.environ.get(SECRETS_LOG_ENV)
        if new and log:
            with open(log, "a", encoding="utf-8") as f:
                f.write("".join(json.dumps(s) + "\n" for s in new))


def read_secrets_log(path):
    """The secrets of an emulator secrets log (a missing file holds none)."""
    found = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    value = json.loads(line)
                except ValueError:
                    continue  # a line still being written
                if isinstance(value, str) and len(value) >= PIECE:
                    found.setdefault(value, "from the emulator")
    except FileNotFoundError:
        pass
    return found


def find(texts, secrets):
    """(where, secret number, what) for each secret found in texts, an iterable of
    (where, text); secrets maps each secret to what it is. Numbers follow the sorted
    order of the secrets, so a finding can be looked up without being printed."""
    ordered = sorted(secrets)
    number = {s: i for i, s in enumerate(ordered)}
    by_prefix = {}
    for s in ordered:
        by_prefix.setdefault(s[:PIECE], []).append(s)
    findings = []
    for where, text in dict.fromkeys(texts):
        if not text:
            continue
        if PRESIGNED.search(text):
            findings.append((where, -1, "a presigned AWS token"))
        if len(text) < PIECE:
            continue
        grams = {text[i:i + PIECE] for i in range(len(text) - PIECE + 1)}
        for prefix in grams & by_prefix.keys():
            for s in by_prefix[prefix]:
                if s in text:
                    findings.append((where, number[s], secrets[s]))
    return list(dict.fromkeys(findings))


def describe(finding):
    where, n, what = finding
    name = what if n < 0 else "secret #%d (%s)" % (n, what)
    return "%s appears in %s" % (name, where)


# ------------------------------------------------------------------ the pytest plugin

def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


class _RecordHandler(logging.Handler):
    """Keeps everything a record shows: its message and every attribute."""

    def __init__(self, sink):
        super().__init__(logging.NOTSET)
        self.sink = sink

    def emit(self, record):
        try:
            self.sink("the log record %s" % record.name, record.getMessage() + " " + repr(vars(record)))
        except Exception:  # noqa: BLE001 - a record that cannot be shown is not kept
            pass


class SecretScan:
    """The pytest plugin (see the module doc)."""

    def __init__(self, config):
        self.config = config
        self.texts = []  # (where, text), for every secret
        self.failure_texts = []  # (where, text), for the emulator's secrets only
        self.lock = threading.Lock()
        self.current = "the session"
        self.summary = None
        self.undo = []
        self.own_log = None
        if not os.environ.get(SECRETS_LOG_ENV):
            # Emulators started by this run (and their children) inherit it.
            fd, self.own_log = tempfile.mkstemp(prefix="iamcore-secrets-", suffix=".jsonl")
            os.close(fd)
            os.environ[SECRETS_LOG_ENV] = self.own_log
        self.secrets_log = os.environ[SECRETS_LOG_ENV]

    def keep(self, where, text):
        text = _text(text)
        if text:
            with self.lock:
                self.texts.append(("%s (%s)" % (where, self.current), text))

    # -- hooks

    def pytest_sessionstart(self, session):
        handler = _RecordHandler(self.keep)
        logger = logging.getLogger("iamcore")
        logger.addHandler(handler)
        self.undo.append(lambda: logger.removeHandler(handler))
        self._wrap_subprocess()
        self._wrap_capture()
        self._wrap_errors()

    def pytest_runtest_logstart(self, nodeid, location):
        self.current = nodeid

    def pytest_runtest_logreport(self, report):
        for title, content in report.sections:
            self.keep(title, content)
        if report.failed and report.longrepr is not None:
            with self.lock:
                self.failure_texts.append(("the failure report of %s" % report.nodeid,
                                           str(report.longrepr)))

    def pytest_sessionfinish(self, session, exitstatus):
        for undo in reversed(self.undo):
            undo()
        secrets = read_secrets_log(self.secrets_log)
        findings = find(self.failure_texts, secrets)
        secrets.update({s: w for s, w in _registered.items() if s not in secrets})
        findings += find(self.texts, secrets)
        if self.own_log:
            os.unlink(self.own_log)
            os.environ.pop(SECRETS_LOG_ENV, None)
        self.summary = (len(secrets), len(self.texts) + len(self.failure_texts), findings)
        if findings:
            session.exitstatus = 1

    def pytest_terminal_summary(self, terminalreporter):
        if self.summary is None:
            return
        secrets, texts, findings = self.summary
        terminalreporter.write_line("secret scan: %d secrets, %d texts, %d findings"
                                    % (secrets, texts, len(findings)))
        for f in findings[:50]:
            terminalreporter.write_line("  " + describe(f), red=True)

    # -- what the tests see

    def _wrap_subprocess(self):
        scan = self
        communicate = subprocess.Popen.communicate

        def communicate_and_keep(proc, *args, **kwargs):
            out, err = communicate(proc, *args, **kwargs)
            scan.keep("the stderr of %s" % _program(proc.args), err)
            return out, err

        subprocess.Popen.communicate = communicate_and_keep
        self.undo.append(lambda: setattr(subprocess.Popen, "communicate", communicate))

    def _wrap_capture(self):
        import pytest

        scan = self
        fixture_class = pytest.CaptureFixture
        readouterr = fixture_class.readouterr

        def readouterr_and_keep(fixture):
            result = readouterr(fixture)
            scan.keep("output read by the test (stdout)", result.out)
            scan.keep("output read by the test (stderr)", result.err)
            return result

        fixture_class.readouterr = readouterr_and_keep
        self.undo.append(lambda: setattr(fixture_class, "readouterr", readouterr))

    def _wrap_errors(self):
        try:
            import iamcore
        except ImportError:
            return
        scan = self
        init = iamcore.Error.__init__

        def init_and_keep(error, *args, **kwargs):
            init(error, *args, **kwargs)
            scan.keep("an iamcore.%s" % type(error).__name__,
                      "%s\n%r\n%r" % (error, error, vars(error)))

        iamcore.Error.__init__ = init_and_keep
        self.undo.append(lambda: setattr(iamcore.Error, "__init__", init))


def _program(args):
    """The program a subprocess runs, named without its arguments (they may be secret)."""
    args = [str(a) for a in args] if isinstance(args, (list, tuple)) else str(args).split(" ")
    name = os.path.basename(args[0])
    if len(args) > 2 and args[1] == "-m":
        name += " -m " + args[2]
    elif len(args) > 1 and re.fullmatch(r"[\w./-]+\.(?:py|js|mjs)", args[1]):
        name += " " + os.path.basename(args[1])
    return name


# ------------------------------------------------------------------ the program

def main(argv):
    logs, files = [], []
    it = iter(argv[1:])
    for arg in it:
        if arg == "--secrets":
            logs.append(next(it, ""))
        else:
            files.append(arg)
    if not files:
        sys.stderr.write(__doc__.split("As a program", 1)[1])
        return 2
    secrets = {}
    for path in logs:
        secrets.update(read_secrets_log(path))
    texts = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                texts.append(("%s:%d" % (path, number), line))
    findings = find(texts, secrets)
    for f in findings[:50]:
        print("  " + describe(f))
    print("secret scan: %d secrets, %d files, %d findings" % (len(secrets), len(files), len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
