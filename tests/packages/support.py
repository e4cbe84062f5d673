"""Helpers of the package tests."""

import base64
import hashlib
import json
import os


def jwt_subject(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def apikey_subject(apikey):
    # The emulator's `sub` for an API key (tests/emulator/README.md).
    return "apikey-" + hashlib.sha256(apikey.encode()).hexdigest()[:8]


def mapped_libraries(maps_text):
    """The shared objects (and Node addons) listed in a /proc/<pid>/maps."""
    paths = set()
    for line in maps_text.splitlines():
        fields = line.split(None, 5)
        if len(fields) == 6 and (".so" in fields[5] or fields[5].endswith(".node")):
            paths.add(fields[5])
    return paths


def ldd_paths(ldd_output):
    """{soname: normalised path} of the lines "soname => path (address)" of ldd's output."""
    found = {}
    for line in ldd_output.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if arrow and rest.startswith("/"):
            found[name] = os.path.normpath(rest.rsplit(" (", 1)[0])
    return found
