"""The data context seen by expressions.

``ContextView`` is a read-only layered mapping: a key is looked up in each
layer in turn and the first layer holding it wins. Iteration yields the union
of the keys (first occurrence order). In Jinja the view itself is ``_``; in
YAQL ``$`` is a lazily converted immutable wrapper (see ``yaql_data``).
"""

import collections.abc

from yaql.language import utils as yaql_utils

_MISSING = object()


class ContextView(collections.abc.Mapping):
    """Read-only mapping over several mappings (first layer wins)."""

    __slots__ = ('_layers',)

    def __init__(self, *layers):
        # ``None`` layers are skipped so callers can pass optional parts.
        self._layers = tuple(layer for layer in layers if layer is not None)

    # -- Mapping protocol ---------------------------------------------------
    def __getitem__(self, key):
        for layer in self._layers:
            if key in layer:
                return layer[key]
        raise KeyError(key)

    def get(self, key, default=None):
        for layer in self._layers:
            if key in layer:
                return layer[key]
        return default

    def __contains__(self, key):
        for layer in self._layers:
            if key in layer:
                return True
        return False

    def _keys(self):
        layers = self._layers
        if len(layers) == 1:
            return list(layers[0])
        seen = {}
        for layer in layers:
            for key in layer:
                if key not in seen:
                    seen[key] = None
        return list(seen)

    def __iter__(self):
        return iter(self._keys())

    def __len__(self):
        return len(self._keys())

    def __bool__(self):
        for layer in self._layers:
            if layer:
                return True
        return False

    def items(self):
        return [(key, self[key]) for key in self._keys()]

    def keys(self):
        return self._keys()

    def values(self):
        return [self[key] for key in self._keys()]

    def as_dict(self):
        """Shallow merged plain dict (first layer wins)."""
        result = {}
        for layer in reversed(self._layers):
            if isinstance(layer, ContextView):
                layer = layer.as_dict()
            result.update(layer)
        return result

    def __eq__(self, other):
        if isinstance(other, collections.abc.Mapping):
            return self.as_dict() == dict(other.items())
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return repr(self.as_dict())


# -- YAQL input conversion ---------------------------------------------------
#
# yaql (convert_input_data=true) turns the whole data tree into immutable
# structures before every evaluation: lists become tuples, dicts FrozenDicts,
# mutable sets frozensets. Doing that eagerly costs O(size of the context)
# for every expression, so instead ``$`` is a FrozenDict whose values are
# converted when first read. The observable behaviour is the same.


def to_yaql(value):
    """Convert one value the way yaql's convert_input_data does (lazily)."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Mapping):
        if isinstance(value, yaql_utils.FrozenDict):
            return value
        return LazyFrozenDict(value)
    if isinstance(value, collections.abc.Sequence):
        if isinstance(value, tuple) and not value:
            return value
        return tuple(to_yaql(item) for item in value)
    if isinstance(value, collections.abc.MutableSet):
        return frozenset(to_yaql(item) for item in value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, collections.abc.Iterable):
        return map(to_yaql, value)
    return value


class LazyFrozenDict(yaql_utils.FrozenDict):
    """Immutable mapping converting values to yaql form on first access."""

    def __init__(self, source):  # noqa - deliberately not calling super
        self._d = source
        self._hash = None
        self._cache = {}

    def __getitem__(self, key):
        cache = self._cache
        try:
            return cache[key]
        except KeyError:
            pass
        value = to_yaql(self._d[key])
        cache[key] = value
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default
        except TypeError:  # unhashable key
            return default

    def __contains__(self, key):
        try:
            return key in self._d
        except TypeError:
            return False

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __repr__(self):
        return repr(dict(self.items()))
