"""Pecan without pygments and Jinja: :func:`import_pecan` before any
``import pecan``.

``import pecan`` imports mako (its debug page and template renderer), and
mako's error pages import pygments when it is installed, for syntax
highlighting: ~4.5 MB of every API process (issue 14, memory), for error
pages our application never renders (no templates, pecan's debug mode
off). pygments is not among our requirements; it is there when something
else installed it (the test extras do). ``pecan.templating`` also
registers a Jinja renderer when ``jinja2`` is importable (~1.6 MB), used
only by controllers exposed with a Jinja template: ours have none (JSON,
XML and plain text, rendered by WSME and our own code). While pecan is
imported, ``pygments`` and ``jinja2`` are marked unimportable, so mako
takes its own fallback (``mako.exceptions._install_fallback``: plain
escaped source lines) and pecan registers no Jinja renderer, as in an
installation without them; the marks are removed right after, so
anything else may still import them (Jinja is imported by the first Jinja
expression or healthcheck page that needs it, see ``lean_imports``). A
process that imported pecan or mako before (the embedded server's
migrations import mako) keeps pygments as it is.
"""

import importlib
import sys


def import_pecan():
    """``import pecan``, with mako's error pages left without pygments
    and pecan without its Jinja renderer."""
    if 'pecan' not in sys.modules:
        hidden = [name for name in ('pygments', 'jinja2')
                  if name not in sys.modules]
        if 'mako.exceptions' in sys.modules and 'pygments' in hidden:
            hidden.remove('pygments')
        for name in hidden:
            sys.modules[name] = None
        try:
            importlib.import_module('pecan')
        finally:
            for name in hidden:
                if sys.modules.get(name, False) is None:
                    del sys.modules[name]
    return importlib.import_module('pecan')
