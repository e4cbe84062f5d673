from ibm_cloud_sdk_core.authenticators import Authenticator  # type: ignore[import-untyped]

from ._adapters import _Authenticating

def sdk_core_authenticator(authenticator: _Authenticating) -> Authenticator: ...
