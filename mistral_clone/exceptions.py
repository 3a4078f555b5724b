"""Exception hierarchy shared by every layer.

Each exception carries the HTTP status the API answers with when it reaches a
controller (``http_code``) and a ``message`` that is shown verbatim to the user
as ``faultstring``. Names follow the error taxonomy users know from Mistral so
that messages and status codes line up with the reference.
"""


class MistralCloneError(Exception):
    """Base class. ``message`` is the user-visible text."""

    http_code = 500

    def __init__(self, message=None):
        if message is None:
            message = self.__class__.__doc__ or self.__class__.__name__
        self.message = str(message)
        super().__init__(self.message)

    def __str__(self):
        return self.message


# --- 400: definitions -------------------------------------------------------

class DSLParsingException(MistralCloneError):
    http_code = 400


class InvalidModelException(DSLParsingException):
    """A definition that parses but violates the language schema/semantics."""
    http_code = 400


class ExpressionGrammarException(DSLParsingException):
    http_code = 400


class YaqlGrammarException(ExpressionGrammarException):
    http_code = 400


class JinjaGrammarException(ExpressionGrammarException):
    http_code = 400


# --- 400: run time ------------------------------------------------------------

class EvaluationException(MistralCloneError):
    http_code = 400


class YaqlEvaluationException(EvaluationException):
    http_code = 400


class JinjaEvaluationException(EvaluationException):
    http_code = 400


class InputException(MistralCloneError):
    http_code = 400


class WorkflowException(MistralCloneError):
    http_code = 400


class ActionException(MistralCloneError):
    http_code = 400


class InvalidActionException(MistralCloneError):
    http_code = 400


class ActionNotFoundError(InvalidActionException):
    """No action of that name is visible (``action_name`` says which)."""

    def __init__(self, message, action_name=None):
        super().__init__(message)
        self.action_name = action_name


class InvalidResultException(MistralCloneError):
    http_code = 400


class SizeLimitExceededException(MistralCloneError):
    http_code = 400

    def __init__(self, field_name, size_kb, size_limit_kb):
        super().__init__(
            "Field size limit exceeded [class=TaskExecution, field=%s, "
            "size=%sKB, limit=%sKB]" % (field_name, size_kb, size_limit_kb))


class InvalidStateTransitionException(MistralCloneError):
    http_code = 400


class InvalidQueryError(MistralCloneError):
    """Bad list query parameters (sort keys/dirs, limit, marker, fields)."""
    http_code = 400


# --- 401 / 403 / 404 / 409 -------------------------------------------------------

class UnauthorizedException(MistralCloneError):
    http_code = 401


class NotAllowedException(MistralCloneError):
    http_code = 403


class DBEntityNotFoundError(MistralCloneError):
    http_code = 404


class DBDuplicateEntryError(MistralCloneError):
    http_code = 409


# --- engine internals -----------------------------------------------------------

class DBDeadlockRetry(MistralCloneError):
    """Raised to ask the transaction wrapper to retry (deadlock/serialization)."""
    http_code = 500


class EngineException(MistralCloneError):
    http_code = 500
