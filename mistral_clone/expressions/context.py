"""The data context seen by expressions.

``ContextView`` is a read-only layered mapping: a key is looked up in each
layer in turn and the first layer holding it wins. Iteration yields the union
of the keys (first occurrence order). In Jinja the view itself is ``_``; in
YAQL ``$`` is a lazily converted immutable wrapper
(``yaql_values.LazyFrozenDict``).
"""

import collections.abc


class ContextView(collections.abc.Mapping):
    """Read-only mapping over several mappings (first layer wins)."""

    __slots__ = ('_layers',)

    def __init__(self, *layers):
        # ``None`` layers are skipped so callers can pass optional parts.
        self._layers = tuple([layer for layer in layers
                              if layer is not None])

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
