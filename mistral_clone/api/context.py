"""Moved to :mod:`mistral_clone.context` (services must not import the API
tier); kept as an alias for older imports."""

from mistral_clone.context import *  # noqa: F401,F403
from mistral_clone.context import (  # noqa: F401
    DEFAULT_PROJECT_ID, RequestContext, ctx, from_environ, set_ctx)
