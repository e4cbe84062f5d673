"""The C core's events (docs/logging.md) as records of the standard logger "iamcore".

Imported by the package, which then routes every event here. Each event is one
record: its message is the event on one line (``token_fetched auth_type=iam
url=... status=200 ...``) and its fields are record attributes:
``record.iamcore_event`` (the event name), ``record.iamcore_fields`` (a dict of
every field) and one ``record.iamcore_<field>`` per field (``record.iamcore_status``,
``record.iamcore_auth_type``, ...). Levels are logging's DEBUG, INFO, WARNING and
ERROR. No event holds a secret.

``import iamcore`` does not import :mod:`logging`: until the application has imported
it, events are dropped (nobody can have configured a handler). The first event after
that sets the logger up: a NullHandler (a library prints nothing by itself) and the
level watch below.

Events also come from background refresh threads. The C side takes the GIL only for
events the logger may pass: it caches the logger's threshold and forgets it whenever
logging clears its own level cache (``Logger.setLevel``, ``logging.disable`` and
``logging.config`` all do), by wrapping the logging manager's ``_clear_cache``. Where
that is impossible (logging not imported yet, or a Python without that method)
nothing is cached and each event takes the GIL.

At exit the hook is removed before the interpreter finalizes.
"""

import atexit
import sys

from . import _native

LOGGER_NAME = "iamcore"
_logger = None  # the "iamcore" logger once set up
_watching = False  # logging's level changes reach the C side's cached threshold


def _setup():
    """The "iamcore" logger, set up at the first event after logging was imported."""
    global _logger, _watching
    if _logger is None and "logging" in sys.modules:
        import logging  # already loaded: this waits for it if another thread is loading it

        logger = logging.getLogger(LOGGER_NAME)
        logger.addHandler(logging.NullHandler())
        _watching = _watch_level_changes(logger.manager)
        _logger = logger
    return _logger


def _emit(level, event, message, fields):
    logger = _setup()
    if logger is None:
        return
    extra = {"iamcore_" + name: value for name, value in fields.items()}
    extra["iamcore_event"] = event
    extra["iamcore_fields"] = fields
    logger.log(level, message, extra=extra)


def _threshold():
    """The lowest level the logger lets through now, or -1 when it cannot be cached."""
    logger = _setup()
    if logger is None or not _watching:
        return -1
    return max(logger.getEffectiveLevel(), logger.manager.disable + 1)


def _watch_level_changes(manager):
    clear = getattr(manager, "_clear_cache", None)
    if not callable(clear):
        return False
    if getattr(clear, "_iamcore_watch", False):
        return True

    def _clear_cache():
        try:
            clear()
        finally:
            _native._log_level_changed()

    _clear_cache._iamcore_watch = True
    manager._clear_cache = _clear_cache
    return True


_native._log_install(_emit, _threshold)
atexit.register(_native._log_uninstall)
