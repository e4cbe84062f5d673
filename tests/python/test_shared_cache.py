"""The shared token cache (docs/shared-cache.md): real processes (spawned, each
with its own authenticator) against one emulator, the directory refusals, what
the files hold, and the fall-back when the directory goes away."""

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import iamcore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PY_WORKER = HERE / "shared_cache_worker.py"
NODE_WORKER = ROOT / "tests" / "node" / "fixtures" / "shared-cache-worker.js"
# Issued so that its refresh (80 % of 3600 s) is due 10 s after it arrives: time enough
# for every process to take it, even under the sanitizers.
DUE_SOON = {"iat_offset": -2870, "lifetime": 3600}
DUE_AFTER_S = 10


@pytest.fixture
def apikey():
    return "shared-cache-" + uuid.uuid4().hex


@pytest.fixture(autouse=True)
def _no_shared_cache_variable(monkeypatch):
    monkeypatch.delenv("IAMCORE_SHARED_CACHE", raising=False)


def own_requests(emulator, apikey):
    return sum(1 for r in emulator.requests("iam") if r["form"].get("apikey") == apikey)


def _read_line(stream, timeout):
    result = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


class Workers:
    """Processes running the worker protocol (shared_cache_worker.py)."""

    def __init__(self, commands):
        self.procs = [
            subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for cmd in commands
        ]

    def wait_ready(self, timeout=60):
        for p in self.procs:
            line = _read_line(p.stdout, timeout).strip()
            assert line == "ready", f"worker did not start: {line!r}"

    def ask(self, command, timeout=30):
        for p in self.procs:  # all first: they race
            p.stdin.write(command + "\n")
            p.stdin.flush()
        answers = [json.loads(_read_line(p.stdout, timeout) or "{}") for p in self.procs]
        return [a.get("token") or a for a in answers]

    def close(self):
        for p in self.procs:
            try:
                p.stdin.close()
                p.wait(timeout=10)
            except (subprocess.TimeoutExpired, OSError):
                p.kill()
                p.wait()


def python_worker(emulator, apikey, directory):
    return [sys.executable, str(PY_WORKER), emulator.http, apikey, str(directory)]


def node_worker(emulator, apikey, directory):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the mixed-language test")
    return [node, str(NODE_WORKER), emulator.http, apikey, str(directory)]


def one_request_per_refresh_period(emulator, apikey, commands):
    emulator.token_settings(delay_ms=300, **DUE_SOON)
    workers = Workers(commands)
    try:
        workers.wait_ready()
        started = time.monotonic()
        first = workers.ask("token")
        assert len(set(first)) == 1 and isinstance(first[0], str), first
        assert own_requests(emulator, apikey) == 1

        # A refresh period later: every process's token is due; one refreshes.
        emulator.token_settings(delay_ms=300, iat_offset=0, lifetime=3600)
        assert time.monotonic() - started < DUE_AFTER_S, "the first round took too long to tell"
        time.sleep(max(0.0, DUE_AFTER_S + 1 - (time.monotonic() - started)))
        second = workers.ask("new " + first[0])
        assert len(set(second)) == 1 and second[0] != first[0], second
        assert own_requests(emulator, apikey) == 2
    finally:
        workers.close()
        emulator.token_settings(delay_ms=0, iat_offset=0, lifetime=3600)


def test_eight_python_processes_make_one_request_per_refresh_period(emulator, apikey, tmp_path):
    directory = tmp_path / "cache"
    one_request_per_refresh_period(
        emulator, apikey, [python_worker(emulator, apikey, directory) for _ in range(8)])


def test_python_and_node_processes_share_one_request_per_refresh_period(emulator, apikey, tmp_path):
    directory = tmp_path / "cache"
    commands = [python_worker(emulator, apikey, directory) for _ in range(8)]
    commands += [node_worker(emulator, apikey, directory) for _ in range(8)]
    one_request_per_refresh_period(emulator, apikey, commands)


def entry_files(directory):
    return sorted(p for p in Path(directory).iterdir() if p.name.endswith(".token"))


def test_files_are_private_and_hold_no_key(emulator, apikey, tmp_path, monkeypatch):
    directory = tmp_path / "new-cache"
    old = os.umask(0)
    try:
        auth = iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache=str(directory))
        token = auth.token()
    finally:
        os.umask(old)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    entries = entry_files(directory)
    assert len(entries) == 1
    assert stat.S_IMODE(entries[0].stat().st_mode) == 0o600
    assert apikey not in entries[0].name
    content = entries[0].read_text()
    assert content.startswith("iamcore-shared-token 1\n")
    assert token in content and apikey not in content
    for lock in directory.glob("*.lock"):
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600

    # A second authenticator of the same credential adopts it: no request.
    again = iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache=str(directory))
    assert again.token() == token
    assert own_requests(emulator, apikey) == 1


def test_every_token_class_takes_the_option(emulator, apikey, tmp_path, cr_token_file):
    d = str(tmp_path / "c")
    auths = [
        iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache=d),
        iamcore.ContainerAuthenticator(iam_profile_name="p", cr_token_filename=cr_token_file(),
                                       url=emulator.http, shared_cache=d),
        iamcore.VPCInstanceAuthenticator(url=emulator.http, shared_cache=d),
        iamcore.IAMAssumeAuthenticator(apikey, iam_profile_id="Profile-1", url=emulator.http,
                                       shared_cache=d),
    ]
    for auth in auths:
        assert auth.token()
    # Four credentials (the assume grant's API-key step shares the first one's).
    assert len(entry_files(d)) == 4
    with pytest.raises(TypeError):
        iamcore.IAMAuthenticator(apikey, shared_cache=3)


def refused(path, needle):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator("refusal-key-value", url="http://127.0.0.1:9", shared_cache=str(path))
    message = str(info.value)
    assert needle in message and str(path) in message
    assert "refusal-key-value" not in message


def test_unsafe_directories_are_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    refused(link, "symbolic link")
    real.chmod(0o770)
    refused(real, "writable by group or others")
    real.chmod(0o703)
    refused(real, "writable by group or others")
    real.chmod(0o700)
    plain = tmp_path / "plain"
    plain.write_text("x")
    refused(plain, "not a directory")
    refused(tmp_path / "no" / "such", "parent directory does not exist")
    if os.geteuid() == 0:
        import pwd
        nobody = pwd.getpwnam("nobody")
        os.chown(real, nobody.pw_uid, nobody.pw_gid)
        refused(real, "not owned by the current user")
        os.chown(real, 0, 0)


def test_the_refresh_token_grant_is_refused(tmp_path):
    with pytest.raises(iamcore.ConfigError, match="refresh token"):
        iamcore.IAMAuthenticator(refresh_token="rt-value-123", client_id="bx", client_secret="s",
                                 shared_cache=str(tmp_path))


def test_the_environment_variable_and_the_option(emulator, apikey, tmp_path, monkeypatch):
    d = tmp_path / "from-env"
    monkeypatch.setenv("IAMCORE_SHARED_CACHE", str(d))
    a = iamcore.IAMAuthenticator(apikey, url=emulator.http)
    b = iamcore.IAMAuthenticator(apikey, url=emulator.http)
    assert a.token() == b.token()
    assert own_requests(emulator, apikey) == 1
    assert len(entry_files(d)) == 1
    # "" turns it off for one authenticator; the option wins over the variable.
    iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache="").token()
    assert own_requests(emulator, apikey) == 2
    other = tmp_path / "from-option"
    iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache=str(other)).token()
    assert own_requests(emulator, apikey) == 3
    assert len(entry_files(other)) == 1
    monkeypatch.setenv("IAMCORE_SHARED_CACHE", "")
    iamcore.IAMAuthenticator(apikey, url=emulator.http).token()
    assert own_requests(emulator, apikey) == 4


def test_bad_entries_are_ignored_and_replaced(emulator, apikey, tmp_path):
    d = tmp_path / "c"
    first = iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache=str(d)).token()
    (entry,) = entry_files(d)
    for damage in ("truncate", "garbage", "mode", "symlink"):
        if damage == "truncate":
            entry.write_text(entry.read_text()[:40])
        elif damage == "garbage":
            entry.write_text("iamcore-shared-token 9\n" + first + "\n")
        elif damage == "mode":
            entry.chmod(0o644)
        else:
            elsewhere = tmp_path / "elsewhere"
            shutil.copy(entry, elsewhere)
            elsewhere.chmod(0o600)
            entry.unlink()
            entry.symlink_to(elsewhere)
        before = own_requests(emulator, apikey)
        token = iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache=str(d)).token()
        assert own_requests(emulator, apikey) == before + 1, damage
        # Replaced by a good entry, which the next authenticator adopts.
        assert not entry.is_symlink() and stat.S_IMODE(entry.stat().st_mode) == 0o600
        assert iamcore.IAMAuthenticator(apikey, url=emulator.http,
                                        shared_cache=str(d)).token() == token
        assert own_requests(emulator, apikey) == before + 1


def test_a_vanished_directory_falls_back_to_an_own_fetch(emulator, apikey, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="iamcore")
    d = tmp_path / "c"
    auth = iamcore.IAMAuthenticator(apikey, url=emulator.http, shared_cache=str(d))
    shutil.rmtree(d)
    assert auth.token()
    assert own_requests(emulator, apikey) == 1
    events = [r for r in caplog.records
              if r.name == "iamcore" and r.iamcore_event == "shared_cache_unusable"]
    assert events and events[0].levelno == logging.WARNING
    assert events[0].iamcore_fields["path"] == str(d)
    assert apikey not in events[0].getMessage()
