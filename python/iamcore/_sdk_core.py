"""IBM's generated SDKs (ibm-cloud-sdk-core) accept iamcore authenticators.

``BaseService.__init__`` rejects an authenticator unless
``isinstance(authenticator, ibm_cloud_sdk_core.authenticators.Authenticator)``;
after that it only calls ``authenticator.authenticate(request_dict)``, which
iamcore's authenticators implement with the same contract. That class is an
ABC, so iamcore registers its authenticator mixin as a virtual subclass, which
makes ``CloudantV1(authenticator=iamcore.IAMAuthenticator(key))`` work.

iamcore does not depend on ibm-cloud-sdk-core, and importing it costs about
0.1 s (it loads requests), so ``import iamcore`` never imports it. The
registration happens:

* at once, when the SDK core's authenticator module is already loaded;
* otherwise right after that module is first imported, through a finder put
  at the front of ``sys.meta_path`` that wraps only that module's loader and
  removes itself once it has run; it is installed only when the SDK core is
  installed at all.

:func:`sdk_core_authenticator` is the explicit alternative: a real subclass
instance, for code checked by a type checker (which does not see a virtual
subclass) or an import system the finder cannot take part in.
"""

import sys

from ._adapters import AuthAdapters

__all__ = ["sdk_core_authenticator"]

_PACKAGE = "ibm_cloud_sdk_core"
_MODULE = "ibm_cloud_sdk_core.authenticators.authenticator"


def _register(module):
    # Never break the SDK core's import: a version without the ABC is left alone.
    base = getattr(module, "Authenticator", None)
    if callable(getattr(base, "register", None)):
        base.register(AuthAdapters)


class _RegisteringLoader:
    """Runs the real loader, then registers iamcore's classes and steps aside."""

    def __init__(self, loader, finder):
        self._loader = loader
        self._finder = finder

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        # Leave no trace of this wrapper on the module.
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        _register(module)
        self._finder.remove()

    def __getattr__(self, name):  # get_source, is_package, resource readers, ...
        return getattr(self._loader, name)


class _Finder:
    """A sys.meta_path finder that only acts on the SDK core's Authenticator module."""

    def find_spec(self, fullname, path, target=None):
        if fullname != _MODULE:
            return None
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _RegisteringLoader(spec.loader, self)
        return spec

    def remove(self):
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


def _install():
    """Register now, or when the SDK core's Authenticator module is imported."""
    module = sys.modules.get(_MODULE)
    if module is not None:
        _register(module)
        return
    if any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return
    if _installed(_PACKAGE):
        sys.meta_path.insert(0, _Finder())


def _installed(name):
    """importlib.util.find_spec(name) is not None, for a top-level name, without
    importing importlib.util (with functools, contextlib and warnings, it costs a
    clean interpreter about as much as importing iamcore)."""
    if name in sys.modules:  # None there: made unimportable on purpose
        return getattr(sys.modules[name], "__spec__", None) is not None
    for finder in list(sys.meta_path):
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            if find(name, None) is not None:
                return True
        except (ImportError, ValueError):
            return False
    return False


def sdk_core_authenticator(authenticator):
    """Wrap an iamcore authenticator in an
    ``ibm_cloud_sdk_core.authenticators.Authenticator`` subclass instance.

    Not needed at run time (iamcore's authenticators are registered as virtual
    subclasses); useful where a type checker wants the real class. The wrapper
    delegates ``authenticate()`` and ``authentication_type()``. Needs
    ``ibm-cloud-sdk-core``.
    """
    if not callable(getattr(authenticator, "authenticate", None)):
        raise TypeError(
            "sdk_core_authenticator() needs an authenticator with an "
            f"authenticate(request) method, not {type(authenticator).__name__}"
        )
    return _wrapper_class()(authenticator)


_wrapper = None


def _wrapper_class():
    global _wrapper
    if _wrapper is None:
        from ibm_cloud_sdk_core.authenticators import Authenticator

        class SdkCoreAuthenticator(Authenticator):
            """An ibm_cloud_sdk_core Authenticator backed by an iamcore one."""

            def __init__(self, authenticator):
                self.authenticator = authenticator

            def authenticate(self, req):
                self.authenticator.authenticate(req)

            def validate(self):
                pass

            def authentication_type(self):
                kind = getattr(self.authenticator, "authentication_type", None)
                return kind() if kind is not None else self.AUTHTYPE_UNKNOWN

            def __repr__(self):
                return f"SdkCoreAuthenticator({self.authenticator!r})"

        _wrapper = SdkCoreAuthenticator
    return _wrapper
