import datetime
from typing import Dict, Iterable, Mapping, Optional, Tuple, Union, final

from . import RDSAuthenticator as RDSAuthenticator
from . import generate_db_auth_token as generate_db_auth_token
from . import generate_dsql_auth_token as generate_dsql_auth_token
from . import generate_elasticache_auth_token as generate_elasticache_auth_token

_Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]]]
_Body = Union[bytes, bytearray, memoryview, str]

@final
class Credentials:
    def __new__(
        cls,
        access_key_id: str,
        secret_access_key: str,
        session_token: Optional[str] = ...,
        expiration: Optional[datetime.datetime] = ...,
    ) -> Credentials: ...
    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> Optional[str]: ...
    @property
    def has_session_token(self) -> bool: ...
    @property
    def expiration(self) -> Optional[datetime.datetime]: ...
    @property
    def source(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def resolve_credentials(profile: Optional[str] = ...) -> Credentials: ...
def resolve_region(
    region: Optional[str] = ...,
    *,
    profile: Optional[str] = ...,
    hostname: Optional[str] = ...,
) -> str: ...
def sign_request(
    method: str,
    url: str,
    headers: Optional[_Headers],
    body: Optional[_Body] = ...,
    *,
    service: str,
    region: Optional[str],
    credentials: Optional[Credentials] = ...,
    profile: Optional[str] = ...,
    timestamp: Optional[datetime.datetime] = ...,
    sign_body: bool = ...,
    payload_hash: Optional[str] = ...,
    normalize_path: bool = ...,
    double_encode_path: bool = ...,
    omit_session_token: bool = ...,
) -> Dict[str, str]: ...
def presign_url(
    method: str,
    url: str,
    *,
    service: str,
    region: Optional[str],
    credentials: Optional[Credentials] = ...,
    profile: Optional[str] = ...,
    expires: int = ...,
    timestamp: Optional[datetime.datetime] = ...,
    headers: Optional[_Headers] = ...,
    payload_hash: Optional[str] = ...,
    normalize_path: bool = ...,
    double_encode_path: bool = ...,
    omit_session_token: bool = ...,
) -> str: ...

__all__ = [
    "Credentials",
    "RDSAuthenticator",
    "generate_db_auth_token",
    "generate_dsql_auth_token",
    "generate_elasticache_auth_token",
    "presign_url",
    "resolve_credentials",
    "resolve_region",
    "sign_request",
]
