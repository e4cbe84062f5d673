from typing import Optional, Protocol, Union

class _HasToken(Protocol):
    def token(self) -> str: ...

def connection_string(
    database: str,
    hostname: str,
    port: Union[int, str],
    *,
    authenticator: Optional[_HasToken] = ...,
    apikey: Optional[str] = ...,
    ssl_server_certificate: Optional[str] = ...,
) -> str: ...
