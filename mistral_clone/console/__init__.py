"""The web console: a browser application served by the API process.

``static/`` holds the application (plain ES modules, CSS and vendored
libraries; no build step), :mod:`mistral_clone.console.app` serves it under
``/ui/``. The application talks only to the ``/v2`` API of the same server,
sending the user's token with every call.
"""
