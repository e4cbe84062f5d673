"""The local IBM Cloud IAM, IBM VPC instance metadata and AWS credential emulator.

The Python package ships this directory as ``iamcore.emulator`` (its tests stay out)::

    from iamcore.emulator import Emulator

    with Emulator() as emu:          # HTTP and HTTPS listeners on free loopback ports
        auth = iamcore.IAMAuthenticator("any-key", url=emu.http_url)

    python -m iamcore.emulator --print-env --service my-service

README.md beside this file is the contract; docs/emulator.md the guide.
"""

from .iam_emulator import Emulator, main

__all__ = ["Emulator", "main"]
