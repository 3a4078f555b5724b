"""The API tier's only doors into the engine side.

* :func:`engine` — the RPC engine client (``mistral_clone.rpc.clients``);
* :func:`task_result` — a task's result value for rendering
  (``mistral_clone.services.results``).

Both are imported lazily so the definition endpoints work while the engine
packages are absent or still being written.
"""

from sqlalchemy import orm

from mistral_clone import exceptions as exc


def engine():
    try:
        from mistral_clone.rpc import clients
    except ImportError:
        raise exc.EngineException(
            'The workflow engine is not available in this build.')
    return clients.get_engine_client()


def task_result(row):
    try:
        from mistral_clone.services import results
    except ImportError:
        return None
    return results.task_result(orm.object_session(row), row)
