"""The YAQL fast path: yaql's parsed expression tree compiled into closures.

yaql stays the definition of right. The parser is yaql's own; this module
turns the tree it builds into Python closures for the operators and
functions Mistral workflows use (``yaql_library``), so that evaluating
``$.records.select(dict(id => $.id))`` costs a function call per node
instead of yaql's overload resolution per node (~100x slower).

Exactness works in three layers:

* A node whose function is not in the library, or is called with a shape
  (argument count, keyword arguments) the library does not mirror, is
  evaluated by yaql itself, in a yaql context holding the same variables.
* A library function that meets values outside the plain types whose yaql
  behaviour it mirrors raises :class:`~yaql_values.Unsupported`.
* Any exception at all (including ``Unsupported`` and every real error)
  abandons the fast path: the caller evaluates the whole expression with
  yaql, which gives the exact value or the exact error and message.

Scopes mirror yaql's context chain: ``(variables, parent)`` where
variables are keyed like yaql's (``$1`` for ``$``, ``$name``). Every scope
this module creates binds ``$1``, so ``$`` is one dictionary lookup.
"""

from yaql.language import expressions as yexpr
from yaql.language import utils as yaql_utils

from mistral_clone.expressions import yaql_itemcode as itemcode
from mistral_clone.expressions import yaql_operators as ops
from mistral_clone.expressions import yaql_values as values

Unsupported = values.Unsupported
_Lazy = values.LazyFrozenDict
_Frozen = values.FrozenDict
_SCALARS = values._SCALARS
_Function = yexpr.Function
_NO_VALUE = yaql_utils.NO_VALUE


def lookup(scope, name):
    while scope is not None:
        variables = scope[0]
        if name in variables:
            return variables[name]
        scope = scope[1]
    return None


def normalize_name(name):
    if not name.startswith('$'):
        name = '$' + name
    return '$1' if name == '$' else name


def is_plain_function(node):
    """A call ``name(...)`` (not an operator, indexer, list or map)."""
    return type(node) is _Function


def keyword_of(node):
    """The bare identifier of ``node`` (KeywordConstant) or None."""
    if type(node) is yexpr.KeywordConstant:
        return node.value
    return None


def split_args(arg_nodes):
    """(positional nodes, {name: node}) as yaql's translate_args does for
    functions that take keyword arguments; None for skipped arguments."""
    positional = []
    keywords = {}
    for node in arg_nodes:
        if node is _NO_VALUE:
            return None
        if type(node) is yexpr.MappingRuleExpression:
            name = keyword_of(node.source)
            if name is None or name in keywords:
                return None
            keywords[name] = node.destination
        else:
            positional.append(node)
    return positional, keywords


class Compiler(object):
    """Compiles nodes of one parsed statement.

    ``delegate(node, receiver, scope)`` evaluates a node with yaql;
    ``limits`` are yaql's limits (``yaql_values.Limits``);
    ``functions``/``methods`` map names to the library's node compilers;
    ``fuse(compiler, left_node, right_node, unfused)``: a faster closure
    for the method call ``left.right(...)`` or None (``yaql_streams``).
    """

    def __init__(self, delegate, limits, functions, methods, fuse=None):
        self.fuse = fuse
        self.delegate = delegate
        self.limits = limits
        self.functions = functions
        self.methods = methods
        self.checked = limits.quota > 0
        # id(node) -> its closure: the fused queries (yaql_streams) look
        # at a node's lambdas again; each node is compiled once. (The
        # nodes stay alive in the parsed tree, so their ids stay theirs.)
        self._compiled = {}
        if self.checked:
            check = limits.check_size
            self._checked_dollar = _with_item_fn(
                lambda scope: check(scope[0]['$1']), check)
            self._checked_dollar.dollar = True
            itemcode.mark(self._checked_dollar, itemcode.dollar, True)

    # -- entry points -----------------------------------------------------

    def compile(self, node):
        """A closure ``f(scope) -> value`` for ``node``."""
        key = id(node)
        f = self._compiled.get(key)
        if f is None:
            f = self._compiled[key] = self._compile_checked(node)
        return f

    def _compile_checked(self, node):
        f = self._compile(node)
        if f is _dollar and self.checked:
            # yaql checks the value of '$' too; ``$.key`` recognises this
            # closure and checks inline (see _dollar_key).
            return self._checked_dollar
        if self.checked and not getattr(f, 'boolean', False):
            # (A comparison gives True/False, which yaql's memory check
            # always lets through: no check needed.)
            check = self.limits.check_size
            checked = lambda scope: check(f(scope))  # noqa: E731
            item_fn = getattr(f, 'item_fn', None)
            if item_fn is not None:
                checked = _with_item_fn(checked,
                                        lambda item: check(item_fn(item)))
                gen = getattr(f, 'gen', None)
                if gen is not None:
                    if getattr(f, 'passes', False):
                        itemcode.mark(checked, gen, True)
                    else:
                        itemcode.mark(checked, itemcode.checked(
                            gen, self.limits))
            return checked
        return f

    def _passes(self, value):
        """Whether yaql's memory check lets ``value`` through (decided
        once for constants)."""
        if not self.checked:
            return True
        try:
            self.limits.check_size(value)
        except Unsupported:
            return False
        return True

    def lambda1(self, node):
        """``node`` as a yaql lambda of one argument: ``bind(scope)``
        gives the callable ``g(item)`` (``$`` is the item inside)."""
        f = self.compile(node)
        item_fn = getattr(f, 'item_fn', None)
        if item_fn is not None:
            # Depends on '$' only: no scope needed per item.
            return lambda scope: item_fn

        def bind(scope):
            return lambda item: f(({'$1': item}, scope))
        return bind

    def delegated(self, node):
        delegate = self.delegate
        return lambda scope: delegate(node, _NO_VALUE, scope)

    def delegated_method(self, node):
        delegate = self.delegate
        return lambda scope, receiver: delegate(node, receiver, scope)

    # -- nodes --------------------------------------------------------------

    def _compile(self, node):
        t = type(node)
        if t is yexpr.Constant or t is yexpr.KeywordConstant:
            value = node.value
            return itemcode.mark(_with_item_fn(
                lambda scope: value, lambda item: value),
                itemcode.constant(value), self._passes(value))
        if t is yexpr.Wrap:
            return self._compile(node.expr)
        if t is yexpr.GetContextValue:
            name = normalize_name(node.path.value)
            if name == '$1':
                return _dollar
            return lambda scope: lookup(scope, name)
        if t is yexpr.BinaryOperator:
            return self._binary(node)
        if t is yexpr.UnaryOperator:
            return self._unary(node)
        if t is yexpr.IndexExpression:
            return self._indexer(node)
        if t is yexpr.ListExpression:
            return self._list(node)
        if t is yexpr.MapExpression:
            return self._map(node)
        if t is _Function:
            compiler = self.functions.get(node.name)
            f = None
            if compiler is not None and _NO_VALUE not in node.args:
                f = compiler(self, node.args)
            return f if f is not None else self.delegated(node)
        return self.delegated(node)

    def _list(self, node):
        if _NO_VALUE in node.args or any(
                type(a) is yexpr.MappingRuleExpression for a in node.args):
            return self.delegated(node)
        items = [self.compile(a) for a in node.args]
        return lambda scope: tuple([f(scope) for f in items])

    def _map(self, node):
        pairs = self.mapping_rules(node.args)
        if pairs is None:
            return self.delegated(node)
        return self.build_dict(pairs, [a.source for a in node.args])

    def mapping_rules(self, arg_nodes):
        """[(key_f, value_f)] for ``k => v`` arguments, else None."""
        pairs = []
        for a in arg_nodes:
            if type(a) is not yexpr.MappingRuleExpression:
                return None
            pairs.append((self.compile(a.source),
                          self.compile(a.destination)))
        return pairs

    def build_dict(self, pairs, key_nodes=None):
        frozen = values.frozen
        if key_nodes is not None and all(
                type(k) in (yexpr.Constant, yexpr.KeywordConstant)
                for k in key_nodes):
            keys = [k.value for k in key_nodes]
            fs = [v for _, v in pairs]
            if len(set(map(type, keys))) == 1 and type(keys[0]) is str:
                f = lambda scope: frozen(  # noqa: E731
                    dict(zip(keys, [f(scope) for f in fs])))
                item_fns = [getattr(v, 'item_fn', None) for v in fs]
                if None not in item_fns:
                    f = _with_item_fn(f, _item_dict(keys, item_fns))
                    gens = [getattr(v, 'gen', None) for v in fs]
                    if None not in gens:
                        itemcode.mark(f, itemcode.frozen_dict(keys, gens),
                                      True)
                return f
        return lambda scope: frozen({k(scope): v(scope) for k, v in pairs})

    def _indexer(self, node):
        args = node.args
        if _NO_VALUE in args or len(args) not in (2, 3) or any(
                type(a) is yexpr.MappingRuleExpression for a in args):
            return self.delegated(node)
        target = self.compile(args[0])
        key = self.compile(args[1])
        if len(args) == 3:
            default = self.compile(args[2])

            def index_default(scope):
                d = target(scope)
                if not values.is_mapping(d):
                    raise Unsupported()
                return d.get(key(scope), default(scope))
            return index_default

        def index(scope):
            v = target(scope)
            k = key(scope)
            tv = type(v)
            if (tv is tuple or tv is list) and type(k) is int:
                return v[k]
            if values.is_mapping(v):
                return v[k]
            raise Unsupported()
        return index

    def _unary(self, node):
        op = node.operator
        arg = self.compile(node.args[0])
        if node.name == '#unary_operator_not':
            f = lambda scope: not arg(scope)  # noqa: E731
            f.boolean = True
            item_arg = getattr(arg, 'item_fn', None)
            if item_arg is not None:
                _with_item_fn(f, lambda item: not item_arg(item))
                if getattr(arg, 'gen', None) is not None:
                    itemcode.mark(f, itemcode.negation(arg.gen), True)
            return f
        if node.name == '#unary_operator_-':
            def negate(scope):
                v = arg(scope)
                if not values.is_number(v):
                    raise Unsupported()
                return -v
            return negate
        if op == '+' and node.name == '#unary_operator_+':
            def plus(scope):
                v = arg(scope)
                if not values.is_number(v):
                    raise Unsupported()
                return +v
            return plus
        return self.delegated(node)

    def _binary(self, node):
        name = node.name
        left_node, right_node = node.args
        if name == '#operator_.':
            return self._dot(left_node, right_node, node)
        if name == '#operator_?.':
            dot = self._dot(left_node, right_node, node)
            if dot is None:
                return self.delegated(node)
            return self._elvis(left_node, right_node, node)
        if name == '#operator_and' or name == '#operator_or':
            a = self.compile(left_node)
            b = self.compile(right_node)
            if name == '#operator_and':
                f = lambda scope: a(scope) and b(scope)  # noqa: E731
            else:
                f = lambda scope: a(scope) or b(scope)  # noqa: E731
            return _logical(f, name[len('#operator_'):], a, b)
        if name not in ops.BINARY:
            return self.delegated(node)
        op = ops.BINARY[name]
        a = self.compile(left_node)
        b = self.compile(right_node)
        if name == '#operator_in':
            limits = self.limits

            def contains(scope):
                x, coll = a(scope), b(scope)
                if type(x) is str and type(coll) is str:
                    return x in coll
                return values.contains(coll, x, limits)
            return contains
        if name == '#operator_*' and self.checked:
            limits = self.limits
            return lambda scope: values.multiply(a(scope), b(scope), limits)
        const = ops.number_constant(right_node)
        fast = ops.NUMERIC.get(name)
        if fast is not None:
            f = ops.numeric(fast, op, a, b, const)
        elif const is not None:
            f = ops.with_constant(op, a, const)
        else:
            f = lambda scope: op(a(scope), b(scope))  # noqa: E731
        if name in ops.BOOLEAN:
            f.boolean = True
        ia = getattr(a, 'item_fn', None)
        ib = getattr(b, 'item_fn', None)
        if ia is not None and ib is not None:
            if fast is not None:
                item_fn = ops.numeric(fast, op, ia, ib, const)
            elif const is not None:
                item_fn = ops.with_constant(op, ia, const)
            else:
                item_fn = lambda item: op(ia(item), ib(item))  # noqa: E731
            _with_item_fn(f, item_fn)
            ga = getattr(a, 'gen', None)
            gb = getattr(b, 'gen', None)
            if ga is not None and gb is not None:
                if fast is not None:
                    gen = itemcode.numeric(ops.SYMBOLS[name], op, ga, gb,
                                           const)
                elif name in ops.EQUALITY:
                    gen = itemcode.operator(ops.EQUALITY[name], ga, gb)
                elif const is not None:
                    gen = itemcode.with_constant(op, ga, const)
                else:
                    gen = itemcode.call(op, ga, gb)
                # (mod of two numbers that passed the memory check is
                # smaller than the divisor; anything else raises
                # Unsupported.)
                itemcode.mark(f, gen, name in ops.BOOLEAN or
                              name == '#operator_mod')
        return f

    # -- '.' ------------------------------------------------------------------

    def _dot(self, left_node, right_node, node):
        receiver = self.compile(left_node)
        key = keyword_of(right_node)
        if key is not None:
            get = _attribute_getter(key, self.limits)
            if receiver is _dollar:
                return itemcode.mark(_dollar_key(key, get),
                                     itemcode.dollar_key(key))
            if getattr(receiver, 'dollar', False):
                return itemcode.mark(
                    _dollar_key(key, get, self.limits.check_size),
                    itemcode.dollar_key(key))
            f = lambda scope: get(receiver(scope))  # noqa: E731
            item_receiver = getattr(receiver, 'item_fn', None)
            if item_receiver is not None:
                _with_item_fn(f, lambda item: get(item_receiver(item)))
                gen = getattr(receiver, 'gen', None)
                if gen is not None:
                    itemcode.mark(f, itemcode.call(get, gen))
            return f
        if not is_plain_function(right_node):
            return self.delegated(node)
        method = self.method_call(right_node)
        f = lambda scope: method(scope, receiver(scope))  # noqa: E731
        item_set = getattr(method, 'item_set', None)
        if item_set is not None:
            _item_set(f, receiver, *item_set)
        if self.fuse is not None:
            return self.fuse(self, left_node, right_node, f) or f
        return f

    def _elvis(self, left_node, right_node, node):
        receiver = self.compile(left_node)
        key = keyword_of(right_node)
        if key is not None:
            get = _attribute_getter(key, self.limits)

            def elvis_get(scope):
                r = receiver(scope)
                return None if r is None else get(r)
            return elvis_get
        method = self.method_call(right_node)

        def elvis_call(scope):
            r = receiver(scope)
            return None if r is None else method(scope, r)
        return elvis_call

    def method_call(self, node):
        """``g(scope, receiver)`` for the method call ``node``."""
        compiler = self.methods.get(node.name)
        m = None
        if compiler is not None and _NO_VALUE not in node.args:
            m = compiler(self, node.args)
        if m is None:
            return self.delegated_method(node)
        if self.checked:
            check = self.limits.check_size
            checked = lambda scope, receiver: check(m(scope, receiver))  # noqa
            if hasattr(m, 'item_set'):
                checked.item_set = m.item_set
            return checked
        return m


def _dollar(scope):
    return scope[0]['$1']


_dollar.item_fn = lambda item: item
itemcode.mark(_dollar, itemcode.dollar, True)


def _item_set(f, receiver, key, value, updated):
    """``receiver.set(key, value)`` (``f``) per item when all three are
    (its value always passes yaql's memory check)."""
    ir = getattr(receiver, 'item_fn', None)
    ik = getattr(key, 'item_fn', None)
    iv = getattr(value, 'item_fn', None)
    if ir is None or ik is None or iv is None:
        return
    _with_item_fn(f, lambda item: updated(ir(item), ((ik(item), iv(item)),)))
    gk = getattr(key, 'gen', None)
    gv = getattr(value, 'gen', None)
    if getattr(receiver, 'gen', None) is itemcode.dollar and \
            gk is not None and gv is not None:
        itemcode.mark(f, itemcode.set_key(gk, gv), True)


def _logical(f, word, a, b):
    """``a and b`` / ``a or b`` (``f``), per item when both are."""
    ia = getattr(a, 'item_fn', None)
    ib = getattr(b, 'item_fn', None)
    if ia is not None and ib is not None:
        if word == 'and':
            _with_item_fn(f, lambda item: ia(item) and ib(item))
        else:
            _with_item_fn(f, lambda item: ia(item) or ib(item))
        ga = getattr(a, 'gen', None)
        gb = getattr(b, 'gen', None)
        if ga is not None and gb is not None:
            itemcode.mark(f, itemcode.operator(word, ga, gb))
    return f


def _with_item_fn(f, item_fn):
    """Mark ``f`` as depending on ``$`` only: ``item_fn(value of $)``."""
    f.item_fn = item_fn
    return f


def _dollar_key(key, get, check=None):
    """``$.key`` in one closure (the most common node of all); ``check``:
    yaql's memory check of the value of ``$`` (a LazyFrozenDict always
    passes it)."""

    def item_key(receiver):
        if type(receiver) is _Lazy:
            value = receiver._d[key]
            if type(value) in _SCALARS:
                return value
        elif check is not None:
            receiver = check(receiver)
        return get(receiver)

    def dollar_key(scope):
        return item_key(scope[0]['$1'])
    return _with_item_fn(dollar_key, item_key)


def _item_dict(keys, item_fns):
    frozen = values.frozen
    if len(keys) == 2:
        (k1, k2), (f1, f2) = keys, item_fns
        return lambda item: frozen({k1: f1(item), k2: f2(item)})
    pairs = list(zip(keys, item_fns))
    return lambda item: frozen({k: f(item) for k, f in pairs})


def _attribute_getter(key, limits):
    """``receiver.key``: dictionary access, or (collection_attribution)
    the attribute of every item of a collection, lazily."""

    def get(receiver):
        t = type(receiver)
        if t is _Lazy:
            value = receiver._d[key]
            if type(value) in _SCALARS:
                return value
            return receiver[key]
        if t is _Frozen or t is dict:
            return receiver[key]
        if values.is_mapping(receiver):
            return receiver[key]
        if values.is_iterable(receiver):
            return map(get, limits.iterable(receiver))
        raise Unsupported()
    return get
