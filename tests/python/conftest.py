"""Shared fixtures: a real IAM emulator (tests/emulator/iam_emulator.py) over real
sockets, reset before every test, and helpers to read what it received.

The package under test is the one in python/ when its extension has been built in
place (``python3 setup.py build_ext --inplace`` or ``pip install -e .``);
otherwise the installed ``iamcore``.
"""

import glob
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import secret_scan

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "tests" / "emulator" / "iam_emulator.py"

if os.environ.get("IAMCORE_TEST_PACKAGE_DIR"):
    # Another build of the package, e.g. the sanitizer build of scripts/test-asan.sh.
    sys.path.insert(0, os.environ["IAMCORE_TEST_PACKAGE_DIR"])
elif glob.glob(str(ROOT / "python" / "iamcore" / "_native*.so")):
    sys.path.insert(0, str(ROOT / "python"))

# The emulator listens on loopback: never send its traffic through a proxy that
# happens to be configured in the environment (libcurl and urllib both read these).
_loopback = "127.0.0.1,localhost,::1"
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name), _loopback]))

# Control-API calls bypass any proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def pytest_configure(config):
    # A test secret in anything the run prints or logs fails it (secret_scan.py).
    config.pluginmanager.register(secret_scan.SecretScan(config), "iamcore-secret-scan")


class Emulator:
    """A running emulator: its URLs and its control API."""

    def __init__(self, info):
        self.http = info["http"]
        self.https = info["https"]
        self.ca_file = info["ca_file"]
        self.pid = info["pid"]

    def _call(self, method, name, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.http + "/_emulator/" + name,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with _OPENER.open(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self):
        self._call("POST", "reset", {})

    def enqueue(self, *responses):
        """Queue responses for the next token requests (see the emulator README)."""
        return self._call("POST", "enqueue", {"responses": list(responses)})

    def token_settings(self, **settings):
        return self._call("POST", "token-settings", settings)

    def requests(self, endpoint=None):
        """Requests received since the last reset, oldest first: every endpoint's,
        or only those of `endpoint` (a name such as "sts", or a list of names)."""
        return self._call("GET", "requests" + self._filter(endpoint))["requests"]

    def count(self, endpoint=None):
        return self._call("GET", "requests" + self._filter(endpoint))["count"]

    @staticmethod
    def _filter(endpoint):
        if endpoint is None:
            return ""
        if not isinstance(endpoint, str):
            endpoint = ",".join(endpoint)
        return "?endpoint=" + endpoint

    def aws_settings(self, **settings):
        """Merge into the AWS endpoints' settings (see the emulator README)."""
        return self._call("POST", "aws-settings", settings)

    def wait_for_count(self, n, timeout=5.0):
        """Poll until at least n token requests arrived; return the count."""
        deadline = time.monotonic() + timeout
        while True:
            count = self.count()
            if count >= n or time.monotonic() > deadline:
                return count
            time.sleep(0.02)


def _read_line(stream, timeout):
    result = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else None


@pytest.fixture(scope="session")
def emulator():
    if not EMULATOR.exists():
        pytest.fail(f"the IAM emulator is missing: {EMULATOR}")
    proc = subprocess.Popen(
        [sys.executable, str(EMULATOR), "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(proc.stdout, 30)
        if not line:
            proc.kill()
            _, err = proc.communicate(timeout=5)
            pytest.fail(f"the IAM emulator did not start (exit code {proc.returncode}):\n{err}")
        yield Emulator(json.loads(line))
    finally:
        try:
            proc.stdin.close()  # --exit-on-stdin-eof
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=5)


@pytest.fixture(autouse=True)
def _reset_emulator(request):
    # Only tests that use the emulator start it; each of those sees a fresh state.
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").reset()
    yield


@pytest.fixture
def iam(emulator):
    """Factory of IAMAuthenticators pointed at the emulator's HTTP listener, with
    short timeouts; keyword arguments override the defaults."""
    import iamcore

    def make(apikey="test-api-key", **options):
        options.setdefault("url", emulator.http)
        options.setdefault("timeout", 5)
        return iamcore.IAMAuthenticator(apikey, **options)

    return make


@pytest.fixture
def cr_token_file(tmp_path):
    """Factory: write a compute-resource token file and return its path (str)."""

    def write(content="cr-token-value\n", name="cr-token"):
        path = tmp_path / name
        path.write_text(content)
        return str(path)

    return write


@pytest.fixture
def container(emulator, cr_token_file):
    """Factory of ContainerAuthenticators pointed at the emulator, with a token file."""
    import iamcore

    def make(**options):
        options.setdefault("url", emulator.http)
        options.setdefault("timeout", 5)
        if "cr_token_filename" not in options:
            options["cr_token_filename"] = cr_token_file()
        if not any(k in options for k in ("iam_profile_name", "iam_profile_id", "iam_profile_crn")):
            options["iam_profile_name"] = "test-profile"
        return iamcore.ContainerAuthenticator(**options)

    return make


def _secret_free(text, secrets, where):
    # Plain raise, not `assert`: pytest would print both operands of a failed
    # comparison, i.e. the secret itself. Hidden from tracebacks, whose frames
    # would show the arguments (the text and the secrets).
    __tracebackhide__ = True
    for index, secret in enumerate(secrets):
        if secret and secret in text:
            raise AssertionError(f"secret #{index} appears in {where}")


@pytest.fixture
def assert_secret_free():
    """assert_secret_free(text, *secrets, where="...") fails without echoing the
    secret or the text."""

    def check(text, *secrets, where="the text"):
        __tracebackhide__ = True
        _secret_free(str(text), secrets, where)

    return check


class AwsEnv:
    """The AWS environment of one test (see the aws_env fixture)."""

    def __init__(self, monkeypatch, tmp_path, emulator):
        self.monkeypatch = monkeypatch
        self.tmp_path = tmp_path
        self.emulator = emulator
        self.config_file = tmp_path / "aws-config"
        self.credentials_file = tmp_path / "aws-credentials"
        self.config_file.write_text("")
        self.credentials_file.write_text("")

    def set(self, **variables):
        """Set environment variables (None deletes one)."""
        for name, value in variables.items():
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, str(value))

    def config(self, text):
        self.config_file.write_text(text)

    def credentials(self, text):
        self.credentials_file.write_text(text)

    def file(self, name, text, mode=None):
        path = self.tmp_path / name
        path.write_text(text)
        if mode is not None:
            path.chmod(mode)
        return str(path)

    def container_url(self, task="task-1"):
        return f"{self.emulator.http}/container-credentials/{task}"

    def use_imds(self):
        """Let the chain reach the emulator's instance metadata (never 169.254.x)."""
        self.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=self.emulator.http,
                 AWS_EC2_METADATA_DISABLED=None)


@pytest.fixture
def aws_env(monkeypatch, tmp_path, emulator):
    """A clean AWS environment for a test that may reach the credential chain:
    every AWS_* variable removed, empty config and credentials files, instance
    metadata disabled (nothing may go to 169.254.x), STS pointed at the
    emulator, and iamcore's shared credentials providers forgotten before and
    after (they cache credentials across calls)."""
    import iamcore

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    env = AwsEnv(monkeypatch, tmp_path, emulator)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(env.config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(env.credentials_file))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emulator.http)
    iamcore._native._reset_default_provider()
    yield env
    iamcore._native._reset_default_provider()
