from typing import Any, Callable, Dict, Optional, Union

from .aws import (
    Credentials as Credentials,
    generate_db_auth_token as generate_db_auth_token,
    generate_dsql_auth_token as generate_dsql_auth_token,
    generate_elasticache_auth_token as generate_elasticache_auth_token,
    presign_url as presign_url,
    resolve_credentials as resolve_credentials,
    resolve_region as resolve_region,
    sign_request as sign_request,
)
from .aws import Credentials as _Credentials

DEFAULT_URL: str
DEFAULT_TIMEOUT: float
DEFAULT_CONNECT_TIMEOUT: float
DEFAULT_MAX_RETRIES: int
USER_AGENT_EXTRA: str
RDS_DEFAULT_EXPIRATION: int
AWS_TOKEN_DEFAULT_EXPIRES: int
SIGV4_MAX_EXPIRES: int

def core_version() -> str: ...
def _log_install(emit: Callable[[int, str, str, Dict[str, Union[str, int, bool]]], None], threshold: Callable[[], int], /) -> None: ...
def _log_uninstall() -> None: ...
def _log_level_changed() -> None: ...

class Authenticator:
    def __init__(self, kind: str, /, **options: Any) -> None: ...
    def authenticate(self, request: Dict[str, Any], /) -> None: ...
    def token(self) -> str: ...
    def authentication_type(self) -> str: ...
    def invalidate(self) -> None: ...

class RDSAuthenticator:
    @property
    def hostname(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def signing_hostname(self) -> Optional[str]: ...
    @property
    def expiration(self) -> int: ...
    def __init__(
        self,
        hostname: str,
        port: Union[int, str],
        username: str,
        region: Optional[str] = ...,
        expiration: Optional[int] = ...,
        *,
        credentials: Optional[_Credentials] = ...,
        profile: Optional[str] = ...,
        signing_hostname: Optional[str] = ...,
    ) -> None: ...
    def token(self) -> str: ...
    def invalidate(self) -> None: ...

def _reset_default_provider() -> None: ...
