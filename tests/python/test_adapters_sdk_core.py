"""IBM's generated SDKs take iamcore authenticators: the real ibmcloudant client
against a loopback server, tokens from the IAM emulator."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import iamcore
from adapter_support import RecordingServer, bearer_of

# ibm-cloud-sdk-core and ibmcloudant are installed by scripts/build.sh.
Authenticator = pytest.importorskip("ibm_cloud_sdk_core.authenticators").Authenticator
CloudantV1 = pytest.importorskip("ibmcloudant.cloudant_v1").CloudantV1

BAD_KEY = {"status": 400, "error": {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}}
PYTHON_DIR = Path(iamcore.__file__).resolve().parents[1]


@pytest.fixture
def server():
    with RecordingServer() as s:
        yield s


def cloudant(authenticator, url):
    service = CloudantV1(authenticator=authenticator)
    service.set_service_url(url)
    service.get_http_client().trust_env = False  # no proxy from the environment
    return service


def test_authenticators_are_sdk_core_authenticators(iam, container):
    assert isinstance(iam(), Authenticator)
    assert isinstance(container(), Authenticator)
    assert issubclass(iamcore.IAMAuthenticator, Authenticator)
    assert not issubclass(iamcore.RDSAuthenticator, Authenticator)  # not an HTTP authenticator


@pytest.mark.parametrize("wrap", [False, True], ids=["authenticator", "sdk_core_authenticator"])
def test_cloudant_sends_the_emulator_token(emulator, iam, server, wrap):
    a = iam()
    service = cloudant(iamcore.sdk_core_authenticator(a) if wrap else a, server.url)
    info = service.get_server_information().get_result()
    assert info["couchdb"] == "Welcome"
    assert service.get_all_dbs().get_result() == ["movies", "reviews"]
    assert [r["path"] for r in server.requests] == ["/", "/_all_dbs"]
    token = bearer_of(server.authorization(0))
    assert server.authorization(1) == "Bearer " + token == "Bearer " + a.token()
    assert emulator.count() == 1


def test_cloudant_with_a_trusted_profile(emulator, container, server):
    a = container()
    cloudant(a, server.url).get_all_dbs()
    assert bearer_of(server.authorization()) == a.token()


def test_token_error_surfaces_from_the_sdk_call(emulator, iam, server):
    emulator.enqueue(BAD_KEY)
    service = cloudant(iam(max_retries=0), server.url)
    with pytest.raises(iamcore.AuthenticationError) as info:
        service.get_all_dbs()
    assert info.value.error_code == "BXNIM0415E"
    assert server.requests == []


def test_sdk_core_authenticator_wrapper(iam, container, assert_secret_free):
    a = iam("wrapped-secret-key")
    wrapper = iamcore.sdk_core_authenticator(a)
    assert type(wrapper).__mro__[1] is Authenticator  # a real subclass, not a virtual one
    assert wrapper.authentication_type() == "iam"
    assert iamcore.sdk_core_authenticator(container()).authentication_type() == "container"
    wrapper.validate()
    assert_secret_free(repr(wrapper), "wrapped-secret-key", where="repr(wrapper)")
    with pytest.raises(TypeError, match="sdk_core_authenticator.*NoneType"):
        iamcore.sdk_core_authenticator(None)


def test_validate_is_there_and_does_nothing(iam):
    assert iam().validate() is None


def run_python(code):
    """Run code in a fresh interpreter that imports iamcore from this tree."""
    script = f"import sys; sys.path.insert(0, {str(PYTHON_DIR)!r})\n" + textwrap.dedent(code)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_registration_when_iamcore_is_imported_first():
    # The common order (isort puts iamcore first); the SDK core is not imported by iamcore.
    out = run_python(
        """
        import iamcore
        print("ibm_cloud_sdk_core" in sys.modules)
        from iamcore import _sdk_core
        print(any(isinstance(f, _sdk_core._Finder) for f in sys.meta_path))
        from ibmcloudant.cloudant_v1 import CloudantV1
        from ibm_cloud_sdk_core.authenticators import Authenticator
        a = iamcore.IAMAuthenticator("k", url="http://127.0.0.1:9")
        print(isinstance(a, Authenticator))
        print(any(isinstance(f, _sdk_core._Finder) for f in sys.meta_path))
        import ibm_cloud_sdk_core.authenticators.authenticator as m
        print(type(m.__loader__).__name__, type(m.__spec__.loader).__name__)
        CloudantV1(authenticator=a)
        """
    )
    assert out == ["False", "True", "True", "False", "SourceFileLoader", "SourceFileLoader"]


def test_registration_when_the_sdk_core_is_imported_first():
    out = run_python(
        """
        from ibm_cloud_sdk_core.authenticators import Authenticator
        import iamcore
        from iamcore import _sdk_core
        print(isinstance(iamcore.ContainerAuthenticator(iam_profile_name="p"), Authenticator))
        print(any(isinstance(f, _sdk_core._Finder) for f in sys.meta_path))
        """
    )
    assert out == ["True", "False"]


def test_no_finder_without_the_sdk_core():
    # A None entry in sys.modules makes the package unimportable, as if not installed.
    out = run_python(
        """
        sys.modules["ibm_cloud_sdk_core"] = None
        import iamcore
        from iamcore import _sdk_core
        print(any(isinstance(f, _sdk_core._Finder) for f in sys.meta_path))
        """
    )
    assert out == ["False"]
