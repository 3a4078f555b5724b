"""oslo.middleware's modules without what its packages import for others.

``import oslo_middleware.cors`` runs ``oslo_middleware/__init__.py``
first, which imports every middleware of the package: basic_auth (bcrypt),
the debug, sizelimit, tracing and correlation-id middlewares, and the
healthcheck with Jinja (its page templates). The API uses CORS, the proxy
headers, the request id and the healthcheck (``api/middleware.py``,
``api/health.py``, options in ``config.py``): the rest, and Jinja until a
healthcheck page is rendered or an expression needs it, was ~3.6 MB of
every API process (issue 14, memory).

:func:`oslo_middleware` makes ``oslo_middleware`` a package whose
``__init__`` runs only when something asks it for a name that is none of
its submodules (``oslo_middleware.CORS``): its submodules are imported as
usual, each with what it imports itself. The healthcheck module is
imported with ``jinja2`` standing for a module that imports the real one
at its first attribute (``jinja2.Template``, when a page is rendered).
Call it before any import of ``oslo_middleware``; a process that imported
the package already is left as it is.

:func:`defer` does the same for a module a library imports but our
processes seldom use (``cmd/server.py``): ``psutil`` (``oslo_utils.netutils``,
imported by oslo.messaging, reads network interfaces with it in functions
our processes never call: ~0.8 MB of every process) and the
``importlib_metadata`` backport (WSME looks up its protocol plugins with
it, which our API never asks for: ~0.5 MB of an API process) and
``more_itertools`` (imported by ``jaraco.functools``, which cheroot
imports, for one function cheroot does not use: ~0.6 MB of an API
process), and ``asyncio``: SQLAlchemy imports it for its asyncio
extension and reads ``asyncio.iscoroutine`` at import, which the stand-in
answers with a function importing asyncio when called; our processes run
no event loop (threads and oslo.messaging's threading executor): ~1.4 MB
of every process.
"""

import importlib
import importlib.util
import sys
import threading
import types

_lock = threading.RLock()


class _DeferredPackage(types.ModuleType):
    """A package module whose ``__init__`` has not run yet."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        # ``from package import submodule`` asks hasattr() first: a
        # submodule is left for the import system to import.
        if importlib.util.find_spec('%s.%s' % (self.__name__, name)):
            raise AttributeError(name)
        with _lock:
            if type(self) is _DeferredPackage:
                self.__class__ = types.ModuleType
                self.__spec__.loader.exec_module(self)
        return getattr(self, name)


class _DeferredModule(types.ModuleType):
    """Stands for module ``name`` (in ``sys.modules`` or in another
    module's globals); imports the real one at its first attribute."""

    def __getattr__(self, attr):
        return getattr(_real(self.__name__), attr)


def _real(name):
    """The real module ``name`` (imported now if a stand-in held its
    place)."""
    with _lock:
        if type(sys.modules.get(name)) is _DeferredModule:
            del sys.modules[name]
        return importlib.import_module(name)


def _defer_package(name):
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _DeferredPackage
    sys.modules[name] = module


def _stand_in(name):
    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    module = _DeferredModule(name)
    module.__spec__ = spec
    return module


def _calls_real(module_name, function_name):
    def call(*args, **kwargs):
        return getattr(_real(module_name), function_name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = function_name
    return call


def defer(name, functions=()):
    """``import name`` gives a stand-in until something reads one of its
    attributes, which imports the real module (not installed: nothing is
    done, ``import`` raises as before). ``functions``: names the stand-in
    answers itself, with a function that imports the real module when
    called and calls the real one (for a library that reads such a name
    at its import and calls it, if ever, later)."""
    with _lock:
        if name not in sys.modules:
            module = _stand_in(name)
            if module is not None:
                for function in functions:
                    setattr(module, function, _calls_real(name, function))
                sys.modules[name] = module


def oslo_middleware():
    """Make ``oslo_middleware`` importable without its ``__init__`` and
    import its healthcheck with Jinja deferred (see the module's doc)."""
    with _lock:
        _defer_package('oslo_middleware')
        if 'oslo_middleware.healthcheck' in sys.modules:
            return
        stand_in = None
        if 'jinja2' not in sys.modules:
            stand_in = _stand_in('jinja2')
            if stand_in is not None:
                sys.modules['jinja2'] = stand_in
        try:
            importlib.import_module('oslo_middleware.healthcheck')
        finally:
            if stand_in is not None and sys.modules.get('jinja2') is stand_in:
                del sys.modules['jinja2']
