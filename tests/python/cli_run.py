"""Run the iamcore command line as users do, in a child process: `python -m iamcore`
(the package under test) or the npm bin `node node/bin/iamcore.js`.

The child's environment is the test's without any AWS_* or IBM configuration
variable: empty AWS config and credentials files, instance metadata off, STS and
IMDS pointed at a closed loopback port, HOME and the working directory a fresh
temporary directory (no ~/.aws, no ibm-credentials.env). Nothing can reach
169.254.x or the internet.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
NODE_BIN = ROOT / "node" / "bin" / "iamcore.js"
LANGUAGES = ("python", "node")
DEAD = "http://127.0.0.1:9"  # nothing listens there: connections are refused at once
DROPPED = ("IBM_CREDENTIALS_FILE", "VCAP_SERVICES", "PYTHONPATH", "PYTHON")


def package_path():
    """The directory that holds the iamcore package under test."""
    import iamcore

    return str(Path(iamcore.__file__).resolve().parents[1])


def command(language):
    if language == "python":
        return [sys.executable, "-m", "iamcore"]
    if NODE is None:
        pytest.skip("node is not installed")
    return [NODE, str(NODE_BIN)]


def clean_env(home, **extra):
    """A child environment (see the module doc); `extra` adds variables, None removes one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in DROPPED}
    config, credentials = home / ".aws-config", home / ".aws-credentials"
    for path in (config, credentials):
        if not path.exists():
            path.write_text("")
    env.update(HOME=str(home), PYTHONPATH=package_path(), AWS_CONFIG_FILE=str(config),
               AWS_SHARED_CREDENTIALS_FILE=str(credentials), AWS_EC2_METADATA_DISABLED="true",
               AWS_EC2_METADATA_SERVICE_ENDPOINT=DEAD, AWS_ENDPOINT_URL_STS=DEAD)
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def run(language, args, env, cwd, timeout=30):
    return subprocess.run(command(language) + [str(a) for a in args], env=env, cwd=str(cwd),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
