"""Action zips (docs/serverless.md): scripts/action-zip.sh packs the Cloud Functions examples
with iamcore; unpacked into an empty directory, each runs main(params) in a fresh process in
the bare view, as an OpenWhisk runtime calls it, against the emulator and a loopback service,
with the credentials from the parameters or from the environment."""

import json
import sys
import zipfile

import pytest

from conftest import DIST, ROOT
from support import apikey_subject, jwt_subject

EXAMPLES = {"python": ROOT / "examples" / "python" / "cloud_function.py",
            "node": ROOT / "examples" / "node" / "cloud_function.js"}

# What the runtimes do with an unpacked zip: Python executes __main__.py with the action's
# directory first on sys.path; Node requires the directory (package.json "main"). Both call
# main(params) and answer its result as JSON.
INVOKE = {
    "python": [sys.executable, "-c", """
import json, os, sys
action, params = sys.argv[1], json.loads(sys.argv[2])
os.chdir(action)
sys.path.insert(0, action)
namespace = {"__name__": "__main__", "__file__": os.path.join(action, "__main__.py")}
with open("__main__.py") as f:
    exec(compile(f.read(), "__main__.py", "exec"), namespace)
print(json.dumps(namespace["main"](params)))
"""],
    "node": ["node", "-e", """
const [action, params] = process.argv.slice(1);
Promise.resolve(require(action).main(JSON.parse(params)))
  .then((result) => console.log(JSON.stringify(result)));
"""],
}


@pytest.fixture(scope="module", params=["python", "node"])
def action(request, bare, tmp_path_factory):
    """(kind, directory): the zip made by scripts/action-zip.sh in the bare view, unpacked."""
    kind = request.param
    base = tmp_path_factory.mktemp(f"action-{kind}")
    made = bare([ROOT / "scripts" / "action-zip.sh", kind, EXAMPLES[kind], base / "action.zip"],
                cwd=base, env={"IAMCORE_DIST": DIST})
    assert made.returncode == 0, made.stdout + made.stderr
    with zipfile.ZipFile(base / "action.zip") as z:
        z.extractall(base / "action")
    return kind, base / "action"


def invoke(bare, action, params, env=None):
    kind, directory = action
    result = bare([*INVOKE[kind], directory, json.dumps(params)], cwd=directory,
                  env={"IBMCLOUD_API_KEY": None, "IAM_URL": None, "IAM_CA_FILE": None,
                       "PYTHONPATH": None, "NODE_PATH": None, **(env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_zip_holds_the_action_and_iamcore(action):
    kind, directory = action
    if kind == "python":
        assert (directory / "__main__.py").read_text() == EXAMPLES["python"].read_text()
        assert (directory / "iamcore" / "__init__.py").is_file()
        assert list((directory / "iamcore.libs").glob("libcurl-*.so*"))
    else:
        assert (directory / "index.js").read_text() == EXAMPLES["node"].read_text()
        assert json.loads((directory / "package.json").read_text())["main"] == "index.js"
        prebuilt = directory / "node_modules" / "iamcore" / "node" / "prebuilds" / "linux-x64"
        assert (prebuilt / "iamcore.node").is_file() and list(prebuilt.glob("libcurl-*.so*"))
        assert not (directory / "node_modules" / "iamcore" / "build").exists()


def test_credentials_from_the_parameters(bare, action, emulator, service):
    params = {"service_url": service.url, "apikey": "action-param-key",
              "iam_url": emulator.https, "iam_ca_file": emulator.ca_file}

    assert invoke(bare, action, params) == {"status": 200, "body": ["db-one", "db-two"]}
    [request] = emulator.requests()
    assert request["form"]["apikey"] == "action-param-key"
    [authorization] = service.authorizations
    kind, _, token = authorization.partition(" ")
    assert kind == "Bearer" and jwt_subject(token) == apikey_subject("action-param-key")


def test_credentials_from_the_environment(bare, action, emulator, service):
    env = {"IBMCLOUD_API_KEY": "action-env-key", "IAM_URL": emulator.https,
           "IAM_CA_FILE": emulator.ca_file}

    assert invoke(bare, action, {"service_url": service.url}, env) == {
        "status": 200, "body": ["db-one", "db-two"]}
    [request] = emulator.requests()
    assert request["form"]["apikey"] == "action-env-key"
    assert len(service.authorizations) == 1


def test_a_refused_api_key_is_an_error_result_without_the_key(bare, action, emulator, service):
    params = {"service_url": service.url, "apikey": "bad-key", "iam_url": emulator.http}

    result = invoke(bare, action, params)
    assert list(result) == ["error"] and "BXNIM0415E" in result["error"]
    if "bad-key" in result["error"]:  # not an assert: it would print the key
        raise AssertionError("the API key appears in the error")
    assert service.authorizations == []
