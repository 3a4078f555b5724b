"""The one version number of mistral_clone.

``setup.cfg`` reads it (``version = attr: mistral_clone.version.VERSION``)
and both commands print it (``--version``) and log it at start-up.
"""

VERSION = '0.1.0'
