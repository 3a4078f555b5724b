"""``POST */validate``: always 200, ``{"valid": ...}``."""

from pecan import rest

from mistral_clone import exceptions as exc
from mistral_clone.api import expose


class ValidateController(rest.RestController):

    def __init__(self, validator):
        super().__init__()
        self._validator = validator

    @expose.textexpose()
    def post(self, **kw):
        try:
            text = expose.request_text()
            self._validator(text)
        except exc.MistralCloneError as e:
            if e.http_code >= 500:
                raise
            return {'valid': False, 'error': e.message}
        return {'valid': True}
