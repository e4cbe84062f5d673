"""The emulator for users (docs/emulator.md): `python -m iamcore.emulator` from the source
tree and from an installed package, `iamcore emulator` in Python and Node, and
--print-env, whose variables really point iamcore at the emulator."""

import contextlib
import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
import threading
import urllib.request

import pytest

import iamcore
from cli_run import LANGUAGES, ROOT, clean_env, command, package_path

SOURCE_PACKAGE = ROOT / "python"
# Control-API calls never go through a proxy.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def read_line(stream, timeout=30):
    result = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


@contextlib.contextmanager
def started(cmd, env, cwd, lines=1):
    """Run an emulator command with --exit-on-stdin-eof; yield its first `lines` stdout
    lines; on exit close its stdin and check that it stopped with status 0."""
    proc = subprocess.Popen([str(c) for c in cmd] + ["--exit-on-stdin-eof"], env=env,
                            cwd=str(cwd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        output = [read_line(proc.stdout) for _ in range(lines)]
        if not all(output):
            proc.kill()
            raise AssertionError("the emulator did not start: " + proc.communicate()[1])
        yield output
    finally:
        proc.stdin.close()
        try:
            status = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
            proc.stderr.close()
    assert status == 0


def ready(line):
    info = json.loads(line)
    assert set(info) == {"http", "https", "ca_file", "pid"}
    return info


def check_serves_tokens(info):
    for url, ca_file in ((info["http"], None), (info["https"], info["ca_file"])):
        auth = iamcore.IAMAuthenticator("any-key", url=url, ca_file=ca_file, timeout=5)
        assert auth.token().count(".") == 2


def recorded(http, endpoint):
    with OPENER.open(f"{http}/_emulator/requests?endpoint={endpoint}", timeout=10) as answer:
        return json.loads(answer.read())["count"]


@pytest.fixture
def home(tmp_path):
    return tmp_path


def test_python_m_iamcore_emulator_from_the_source_tree(home):
    if package_path() != str(SOURCE_PACKAGE):
        pytest.skip("the package under test is not the source tree's (build it in place)")
    env = clean_env(home, PYTHONPATH=SOURCE_PACKAGE)
    with started([sys.executable, "-m", "iamcore.emulator"], env, home) as (line,):
        check_serves_tokens(ready(line))


def test_the_emulator_directory_runs_as_a_script(home):
    with started([sys.executable, ROOT / "tests" / "emulator"], clean_env(home), home) as (line,):
        check_serves_tokens(ready(line))


def test_emulator_in_process_from_the_package():
    from iamcore.emulator import Emulator

    with Emulator(lifetime=120) as emu:
        auth = iamcore.IAMAuthenticator("any-key", url=emu.http_url, timeout=5)
        auth.token()
        assert [r["form"]["apikey"] for r in emu.requests("iam")] == ["any-key"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_iamcore_emulator_command(home, lang):
    with started(command(lang) + ["emulator", "--lifetime", "120"], clean_env(home),
                 home) as (line,):
        info = ready(line)
        check_serves_tokens(info)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_print_env_points_iamcore_at_the_emulator(home, lang):
    args = ["emulator", "--print-env", "--service", "my-service"]
    with started(command(lang) + args, clean_env(home), home, lines=7) as lines:
        assert all(line.startswith("export ") for line in lines), lines
        exported = dict(shlex.split(line[len("export "):])[0].split("=", 1) for line in lines)
        assert list(exported) == [
            "IAMCORE_EMULATOR_HTTP", "IAMCORE_EMULATOR_HTTPS", "IAMCORE_EMULATOR_CA_FILE",
            "MY_SERVICE_AUTH_URL", "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT"]
        http = exported["IAMCORE_EMULATOR_HTTP"]
        check_serves_tokens({"http": exported["MY_SERVICE_AUTH_URL"],
                             "https": exported["IAMCORE_EMULATOR_HTTPS"],
                             "ca_file": exported["IAMCORE_EMULATOR_CA_FILE"]})
        # The AWS variables give the credential chain the emulator's credentials.
        env = clean_env(home, **{k: v for k, v in exported.items() if k.startswith("AWS_")},
                        AWS_EC2_METADATA_DISABLED=None)
        result = subprocess.run(command(lang) + ["rds-token", "--hostname", "db.internal",
                                                 "--port", "5432", "--username", "u",
                                                 "--region", "eu-de-1"],
                                env=env, cwd=str(home), capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 0, result.stderr
        assert "X-Amz-Credential=ASIA" in result.stdout
        assert recorded(http, "container") == 1


def test_print_env_without_a_service_shows_the_variable_name(home):
    with started([sys.executable, "-m", "iamcore", "emulator", "--print-env"], clean_env(home),
                 home, lines=4) as lines:
        assert lines[3].startswith("# <SERVICE>_AUTH_URL=http://127.0.0.1:")


@pytest.mark.parametrize("args", [["--service", "my-service"],
                                  ["--print-env", "--service", "bad$name"],
                                  ["--http-port", "x"]])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_emulator_usage_errors(home, lang, args):
    result = subprocess.run(command(lang) + ["emulator"] + args, env=clean_env(home),
                            cwd=str(home), stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    assert result.stdout == "" and "iamcore emulator: error: " in result.stderr


def test_node_emulator_needs_python(home):
    cmd = command("node") + ["emulator"]
    result = subprocess.run(cmd, env=clean_env(home, PYTHON=home / "no-python3"), cwd=str(home),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert result.returncode == 3
    assert result.stderr.startswith("iamcore: configuration error: the emulator needs Python 3 (")
    assert result.stderr.count("\n") == 1


# ------------------------------------------------------------------- installed package

@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project installed with pip into a directory of its own (--target): built from a
    copy of the source tree, offline (no build isolation)."""
    if importlib.util.find_spec("wheel") is None:
        pytest.skip("pip needs the wheel package to build offline (scripts/build.sh installs it)")
    base = tmp_path_factory.mktemp("installed")
    source, target = base / "source", base / "site"
    ignore = shutil.ignore_patterns("build", "node_modules", ".git", "*.so", "*.o",
                                    "__pycache__", "*.egg-info", "bench", "examples")
    shutil.copytree(ROOT, source, symlinks=True, ignore=ignore)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
         "--disable-pip-version-check", "--no-cache-dir", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def test_installed_package_holds_the_emulator_without_its_tests(installed):
    files = sorted(p.name for p in (installed / "iamcore" / "emulator").iterdir()
                   if p.is_file())
    assert files == ["README.md", "__init__.py", "__main__.py", "aws_endpoints.py",
                     "iam_emulator.py", "vpc_endpoints.py"]
    assert not (installed / "iamcore" / "emulator").is_symlink()


def test_python_m_iamcore_emulator_from_the_installed_package(installed, home):
    env = clean_env(home, PYTHONPATH=installed)
    where = subprocess.run([sys.executable, "-c", "import iamcore.emulator as e; print(e.__file__)"],
                           env=env, cwd=str(home), capture_output=True, text=True, timeout=30)
    assert where.stdout.startswith(str(installed)), where.stderr
    with started([sys.executable, "-m", "iamcore.emulator"], env, home) as (line,):
        check_serves_tokens(ready(line))


def test_installed_command_line(installed, home):
    env = clean_env(home, PYTHONPATH=installed)
    for cmd in ([sys.executable, "-m", "iamcore"], [installed / "bin" / "iamcore"]):
        result = subprocess.run([str(c) for c in cmd] + ["--version"], env=env, cwd=str(home),
                                capture_output=True, text=True, timeout=30)
        assert (result.returncode, result.stdout) == (0, f"iamcore {iamcore.__version__}\n")
    with started([installed / "bin" / "iamcore", "emulator"], env, home) as (line,):
        ready(line)
