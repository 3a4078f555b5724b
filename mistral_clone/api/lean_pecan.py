"""Pecan without pygments: :func:`import_pecan` before any ``import pecan``.

``import pecan`` imports mako (its debug page and template renderer), and
mako's error pages import pygments when it is installed, for syntax
highlighting: ~4.5 MB of every API process (issue 14, memory), for error
pages our application never renders (no templates, pecan's debug mode
off). pygments is not among our requirements; it is there when something
else installed it (the test extras do). While pecan is imported,
``pygments`` is marked unimportable, so mako takes its own fallback
(``mako.exceptions._install_fallback``: plain escaped source lines), as
in an installation without pygments; the mark is removed right after, so
anything else may still import pygments. A process that imported pecan
or mako before (the embedded server's migrations import mako) is left
as it is.
"""

import importlib
import sys


def import_pecan():
    """``import pecan``, with mako's error pages left without pygments."""
    if 'pecan' not in sys.modules and 'mako.exceptions' not in sys.modules \
            and 'pygments' not in sys.modules:
        sys.modules['pygments'] = None
        try:
            importlib.import_module('pecan')
        finally:
            if sys.modules.get('pygments', False) is None:
                del sys.modules['pygments']
    return importlib.import_module('pecan')
