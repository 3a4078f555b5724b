"""The tables of the YAQL fast path's functions and the decorators that
fill them (``yaql_queries``, ``yaql_library``).

Each entry compiles one call: ``compiler(c, arg_nodes)`` returns a closure
(``f(scope)`` for functions, ``g(scope, receiver)`` for methods) or None
when the call's shape is not one the fast path mirrors (yaql then evaluates
that node itself).
"""

from mistral_clone.expressions import yaql_compile
from mistral_clone.expressions import yaql_values as values

Unsupported = values.Unsupported

METHODS = {}
FUNCTIONS = {}


def positional(arg_nodes, low, high):
    split = yaql_compile.split_args(arg_nodes)
    if split is None or split[1] or not low <= len(split[0]) <= high:
        return None
    return split[0]


def str_arg(v):
    if type(v) is not str:
        raise Unsupported()
    return v


def int_arg(v):
    if type(v) is not int:
        raise Unsupported()
    return v


def method(names, low=0, high=0, lambdas=()):
    """Register ``impl(limits, receiver, *args)`` as a method.

    Positions listed in ``lambdas`` are passed as ``f(item)`` callables;
    the others are evaluated first, like yaql's non-lazy parameters.
    """
    def register(impl):
        def compiler(c, arg_nodes):
            nodes = positional(arg_nodes, low, high)
            if nodes is None:
                return None
            fs = [c.lambda1(n) if i in lambdas else c.compile(n)
                  for i, n in enumerate(nodes)]
            limits = c.limits
            if not fs:
                return lambda scope, recv: impl(limits, recv)
            if len(fs) == 1:
                f0 = fs[0]
                return lambda scope, recv: impl(limits, recv, f0(scope))

            def call(scope, recv):
                return impl(limits, recv, *[f(scope) for f in fs])
            return call
        for name in names.split():
            METHODS[name] = compiler
        return impl
    return register


def function(names, low=0, high=0):
    """Register ``impl(limits, *args)`` as a global function."""
    def register(impl):
        def compiler(c, arg_nodes):
            nodes = positional(arg_nodes, low, high)
            if nodes is None:
                return None
            fs = [c.compile(n) for n in nodes]
            limits = c.limits
            return lambda scope: impl(limits, *[f(scope) for f in fs])
        for name in names.split():
            FUNCTIONS[name] = compiler
        return impl
    return register


def extension(names, low=0, high=0, lambdas=()):
    """Both a method (receiver first) and a function."""
    def register(impl):
        method(names, low, high, lambdas)(impl)

        def compiler(c, arg_nodes):
            nodes = positional(arg_nodes, low + 1, high + 1)
            if nodes is None:
                return None
            m = METHODS[names.split()[0]](c, arg_nodes[1:])
            if m is None:
                return None
            first = c.compile(nodes[0])
            return lambda scope: m(scope, first(scope))
        for name in names.split():
            FUNCTIONS[name] = compiler
        return impl
    return register
