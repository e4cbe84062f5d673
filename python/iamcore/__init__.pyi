import builtins
import datetime
from typing import Any, Dict, Mapping, Optional, Union

from . import aws as aws
from . import db2 as db2
from ._adapters import AuthAdapters as AuthAdapters
from ._adapters import TokenAuthAdapters as TokenAuthAdapters
from ._adapters import httpx_auth as httpx_auth
from ._adapters import requests_auth as requests_auth
from ._sdk_core import sdk_core_authenticator as sdk_core_authenticator
from ._native import Authenticator as _Authenticator
from ._native import RDSAuthenticator as _RDSAuthenticator
from .aws import Credentials as _Credentials

__version__: str

_Seconds = Union[int, float]

class Error(Exception):
    default_code: str
    code: str
    status: Optional[int]
    error_code: Optional[str]
    error_message: Optional[str]
    error_details: Optional[str]
    request_id: Optional[str]
    transaction_id: Optional[str]
    attempts: int
    def __init__(
        self,
        message: str = ...,
        *,
        code: Optional[str] = ...,
        status: Optional[int] = ...,
        error_code: Optional[str] = ...,
        error_message: Optional[str] = ...,
        error_details: Optional[str] = ...,
        request_id: Optional[str] = ...,
        transaction_id: Optional[str] = ...,
        attempts: int = ...,
    ) -> None: ...

class ConfigError(Error, ValueError): ...
class AuthenticationError(Error): ...
class TransportError(Error): ...
class TimeoutError(TransportError, builtins.TimeoutError): ...
class TLSError(TransportError): ...
class ParseError(Error): ...
class TokenFileError(Error): ...
class InsecureTLSWarning(UserWarning): ...


class IAMAuthenticator(TokenAuthAdapters, _Authenticator):
    def __init__(
        self,
        apikey: Optional[str] = ...,
        *,
        refresh_token: Optional[str] = ...,
        url: Optional[str] = ...,
        client_id: Optional[str] = ...,
        client_secret: Optional[str] = ...,
        scope: Optional[str] = ...,
        headers: Optional[Mapping[str, str]] = ...,
        disable_ssl_verification: bool = ...,
        ca_file: Optional[str] = ...,
        proxy: Optional[str] = ...,
        timeout: Optional[_Seconds] = ...,
        connect_timeout: Optional[_Seconds] = ...,
        max_retries: Optional[int] = ...,
        shared_cache: Optional[str] = ...,
    ) -> None: ...

class ContainerAuthenticator(TokenAuthAdapters, _Authenticator):
    def __init__(
        self,
        *,
        iam_profile_name: Optional[str] = ...,
        iam_profile_id: Optional[str] = ...,
        iam_profile_crn: Optional[str] = ...,
        cr_token_filename: Optional[str] = ...,
        url: Optional[str] = ...,
        client_id: Optional[str] = ...,
        client_secret: Optional[str] = ...,
        scope: Optional[str] = ...,
        headers: Optional[Mapping[str, str]] = ...,
        disable_ssl_verification: bool = ...,
        ca_file: Optional[str] = ...,
        proxy: Optional[str] = ...,
        timeout: Optional[_Seconds] = ...,
        connect_timeout: Optional[_Seconds] = ...,
        max_retries: Optional[int] = ...,
        shared_cache: Optional[str] = ...,
    ) -> None: ...

class VPCInstanceAuthenticator(_Authenticator):
    def __init__(
        self,
        iam_profile_crn: Optional[str] = ...,
        iam_profile_id: Optional[str] = ...,
        url: Optional[str] = ...,
        *,
        vpc_ims_version: Optional[str] = ...,
        headers: Optional[Mapping[str, str]] = ...,
        disable_ssl_verification: bool = ...,
        ca_file: Optional[str] = ...,
        proxy: Optional[str] = ...,
        timeout: Optional[_Seconds] = ...,
        connect_timeout: Optional[_Seconds] = ...,
        max_retries: Optional[int] = ...,
        shared_cache: Optional[str] = ...,
    ) -> None: ...

class IAMAssumeAuthenticator(_Authenticator):
    def __init__(
        self,
        apikey: str,
        *,
        iam_profile_crn: Optional[str] = ...,
        iam_profile_id: Optional[str] = ...,
        iam_profile_name: Optional[str] = ...,
        iam_account_id: Optional[str] = ...,
        url: Optional[str] = ...,
        client_id: Optional[str] = ...,
        client_secret: Optional[str] = ...,
        scope: Optional[str] = ...,
        headers: Optional[Mapping[str, str]] = ...,
        disable_ssl_verification: bool = ...,
        ca_file: Optional[str] = ...,
        proxy: Optional[str] = ...,
        timeout: Optional[_Seconds] = ...,
        connect_timeout: Optional[_Seconds] = ...,
        max_retries: Optional[int] = ...,
        shared_cache: Optional[str] = ...,
    ) -> None: ...

class BearerTokenAuthenticator:
    def __init__(self, bearer_token: str) -> None: ...
    def set_bearer_token(self, bearer_token: str) -> None: ...
    def authenticate(self, request: Dict[str, Any]) -> None: ...
    def authentication_type(self) -> str: ...

class BasicAuthenticator:
    def __init__(self, username: str, password: str) -> None: ...
    @property
    def username(self) -> str: ...
    def authenticate(self, request: Dict[str, Any]) -> None: ...
    def authentication_type(self) -> str: ...

class NoAuthAuthenticator:
    def __init__(self) -> None: ...
    def authenticate(self, request: Dict[str, Any]) -> None: ...
    def authentication_type(self) -> str: ...

_AnyAuthenticator = Union[
    IAMAuthenticator,
    ContainerAuthenticator,
    VPCInstanceAuthenticator,
    IAMAssumeAuthenticator,
    BearerTokenAuthenticator,
    BasicAuthenticator,
    NoAuthAuthenticator,
]

def get_authenticator_from_environment(service_name: str) -> _AnyAuthenticator: ...

class RDSAuthenticator(_RDSAuthenticator):
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

def generate_db_auth_token(
    DBHostname: str,
    Port: Union[int, str],
    DBUsername: str,
    Region: Optional[str] = ...,
    *,
    credentials: Optional[_Credentials] = ...,
    profile: Optional[str] = ...,
    timestamp: Optional[datetime.datetime] = ...,
) -> str: ...

def generate_dsql_auth_token(
    hostname: str,
    region: Optional[str] = ...,
    *,
    admin: bool = ...,
    expires_in: int = ...,
    credentials: Optional[_Credentials] = ...,
    profile: Optional[str] = ...,
    timestamp: Optional[datetime.datetime] = ...,
) -> str: ...

def generate_elasticache_auth_token(
    cache_name: str,
    user: str,
    region: Optional[str] = ...,
    *,
    expires_in: int = ...,
    serverless: bool = ...,
    credentials: Optional[_Credentials] = ...,
    profile: Optional[str] = ...,
    timestamp: Optional[datetime.datetime] = ...,
) -> str: ...
