"""The OpenAPI 3.1 document of ``/v2``, generated from what is served.

* :mod:`.routes` walks the Pecan controllers: every path and method, with
  the handler's path, query and body parameters (WSME signatures);
* :mod:`.schemas` turns resource tables and WSME types into JSON Schemas;
* :mod:`.operations` declares, per operation, which table renders the
  success body (handlers return plain dicts, so their signature cannot);
* :mod:`.document` puts them together; ``ui/`` holds the Swagger UI files
  of the ``/v2/docs`` page (see ``ui/README.rst``).

Served by :mod:`mistral_clone.api.controllers.v2.openapi`.
"""
