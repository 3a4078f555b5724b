"""Hypothesis strategies for YAQL expressions that mostly type-check.

Random compositions of operators and functions mostly fail with type
errors; these strategies build expressions per result type (numbers,
strings, booleans, lists of numbers, dictionaries, lists of records) so
that most of them yield values, with ``$`` inside lambdas being the item
of the collection they run over. The data they expect: ``$.l`` (list of
ints), ``$.s`` (string), ``$.d`` (dict), ``$.recs`` (records with id,
name, value, tags), ``$.n`` (anything).
"""

from hypothesis import strategies as st


def _fmt(pattern, *strategies):
    return st.tuples(*strategies).map(lambda t: pattern % t)


def _pick(*patterns_and_args):
    return st.one_of(*[_fmt(p, *args) if args else st.just(p)
                       for p, *args in patterns_and_args])


_small = st.integers(-3, 5).map(str)
_names = st.sampled_from(['id', 'value', 'name'])


def _num_item(item):
    """Numbers from the item ``$`` of a list of numbers (``item`` = '$')."""
    return st.recursive(
        st.sampled_from([item, '1', '2', '-1', '0.5']),
        lambda c: st.one_of(
            _fmt('(%s %s %s)', c, st.sampled_from(['+', '-', '*', 'mod']),
                 c),
            _fmt('abs(%s)', c), _fmt('max(%s, %s)', c, c),
            _fmt('switch(%s > 1 => %s, true => %s)', c, c, c)),
        max_leaves=3)


def _bool_item(num):
    return _fmt('(%s %s %s)', num, st.sampled_from(
        ['>', '<', '>=', '<=', '=', '!=']), num)


_item_num = _num_item('$')
_item_bool = _bool_item(_item_num)
_rec_num = _num_item('$.value') | st.sampled_from(['$.id', '$.tags.len()'])
_rec_bool = _bool_item(_rec_num) | st.sampled_from([
    "$.name = 'x'", "$.name in [x, zz]", "'a' in $.tags", '$.tags.any()'])
_rec_key = st.sampled_from(['$.id', '$.value', '$.name', '$.tags.len()',
                            '$.name.len()', '-$.id'])


def expressions():
    """A strategy of expression texts of any type."""
    return st.deferred(lambda: _any)


def _build():
    g = {}
    num = st.deferred(lambda: g['num'])
    text = st.deferred(lambda: g['text'])
    boolean = st.deferred(lambda: g['bool'])
    nums = st.deferred(lambda: g['nums'])
    mapping = st.deferred(lambda: g['dict'])
    recs = st.deferred(lambda: g['recs'])
    value = num | text | boolean | st.sampled_from(['null', '$.n'])

    g['num'] = st.one_of(
        st.sampled_from(['0', '1', '7', '-2', '2.5', '$.d.a', '$.recs.len()',
                         '$.l.len()', '$.s.len()', 'len($.l)']),
        _fmt('(%s %s %s)', num, st.sampled_from(['+', '-', '*', '/', 'mod']),
             num),
        _fmt('-%s', num), _fmt('%s.sum()', nums), _fmt('%s.max()', nums),
        _fmt('%s.min()', nums), _fmt('%s.first(0)', nums),
        _fmt('%s.last(-1)', nums), _fmt('%s.count()', nums),
        _fmt('%s.len()', nums), _fmt('%s.indexOf(%s)', nums, num),
        _fmt('int(%s)', num), _fmt('float(%s)', num),
        _fmt('abs(%s)', num), _fmt('pow(%s, %s)', num, _small),
        _fmt('max(%s, %s)', num, num), _fmt('min(%s, %s)', num, num),
        _fmt('%s.len()', text), _fmt('%s[0]', nums),
        _fmt('%s.where(%s).len()', recs, _rec_bool),
        _fmt('%s.select(%s).sum()', recs, _rec_num),
        _fmt('%s.get(a, 0)', mapping), _fmt('%s.len()', mapping),
        _fmt('switch(%s => %s, true => %s)', boolean, num, num),
        _fmt('coalesce(null, %s)', num), _fmt('%s.indexOf(%s)', text, text),
    )
    g['text'] = st.one_of(
        st.sampled_from(["'a'", "'b,c'", "' x '", "''", '$.s', 'word',
                         '$.recs[0].name', "'Hello World'"]),
        _fmt('str(%s)', value), _fmt('(%s + %s)', text, text),
        _fmt('%s.toUpper()', text), _fmt('%s.toLower()', text),
        _fmt('%s.trim()', text), _fmt("%s.replace('a', 'X')", text),
        _fmt('%s.substring(%s)', text, _small),
        _fmt("%s.join(',')", nums), _fmt("', '.join(%s)", nums),
        _fmt("concat(%s, %s)", text, text),
        _fmt('(%s * %s)', text, st.sampled_from(['0', '1', '2', '3'])),
        _fmt('%s.select($.name).join(%s)', recs, text),
        _fmt("%s.split(',').first('')", text),
    )
    g['bool'] = st.one_of(
        st.sampled_from(['true', 'false', '$.n = null', 'isString($.s)']),
        _fmt('(%s %s %s)', num, st.sampled_from(
            ['<', '>', '<=', '>=', '=', '!=']), num),
        _fmt('(%s %s %s)', text, st.sampled_from(['<', '=', '!=', '>=']),
             text),
        _fmt('(%s in %s)', num, nums), _fmt('(%s in %s)', text, text),
        _fmt('not %s', boolean),
        _fmt('(%s %s %s)', boolean, st.sampled_from(['and', 'or']), boolean),
        _fmt('%s.any(%s)', nums, _item_bool),
        _fmt('%s.all(%s)', nums, _item_bool), _fmt('%s.any()', nums),
        _fmt('%s.contains(%s)', nums, num),
        _fmt('%s.startsWith(%s)', text, text),
        _fmt('%s.containsKey(%s)', mapping, text),
        _fmt('%s(%s)', st.sampled_from(['isString', 'isList', 'isDict',
                                        'isInteger', 'isNumber', 'bool',
                                        'isBoolean']), value),
        _fmt('(%s = %s)', nums, nums), _fmt('(%s = %s)', mapping, mapping),
    )
    g['nums'] = st.one_of(
        st.sampled_from(['$.l', '[]', '[1, 2, 3]', '[3, 1, 2, 1]',
                         'range(4)', 'range(1, 5)', '$.recs.select($.id)',
                         '[2.5, 1]', 'list(1, 2)']),
        _fmt('%s.select(%s)', nums, _item_num),
        _fmt('%s.where(%s)', nums, _item_bool),
        _fmt('%s.orderBy(%s)', nums, _item_num),
        _fmt('%s.orderByDescending(%s)', nums, _item_num),
        _fmt('%s.distinct()', nums), _fmt('%s.skip(%s)', nums, _small),
        _fmt('%s.take(%s)', nums, _small), _fmt('(%s + %s)', nums, nums),
        _fmt('%s.toList()', nums), _fmt('list(%s)', nums),
        _fmt('[%s, %s]', num, num), _fmt('%s.values()', mapping),
        _fmt('%s.toSet()', nums), _fmt('[%s, [%s]].flatten()', nums, num),
        _fmt('%s.selectMany([$, $ * 2])', nums),
        _fmt('(%s * 2)', nums), _fmt('%s.append(%s)', nums, num),
        _fmt('%s.select(%s)', recs, _rec_num),
        _fmt('%s.orderBy(%s).thenByDescending(%s).select($.id)', recs,
             _rec_key, _rec_key),
        _fmt('%s.distinct(%s)', nums, _item_num),
    )
    g['dict'] = st.one_of(
        st.sampled_from(['$.d', '{}', '{a => 1}', 'dict(a => 1, b => 2)',
                         '$.recs.first({})', 'env()']),
        _fmt('dict(a => %s, b => %s)', value, value),
        _fmt('{%s => %s}', text, value),
        _fmt('%s.set(%s, %s)', mapping, text, value),
        _fmt('%s.set(c => %s)', mapping, value),
        _fmt('%s.set(%s)', mapping, mapping),
        _fmt('%s.delete(a)', mapping), _fmt('(%s + %s)', mapping, mapping),
        _fmt('%s.select(dict(k => %s, v => %s)).first({})', recs,
             _rec_key, _rec_num),
    )
    g['recs'] = st.one_of(
        st.just('$.recs'),
        _fmt('%s.where(%s)', recs, _rec_bool),
        _fmt('%s.orderBy(%s)', recs, _rec_key),
        _fmt('%s.orderByDescending(%s)', recs, _rec_key),
        _fmt('%s.select($.set(flag, %s))', recs, _rec_bool),
        _fmt('%s.skip(1)', recs), _fmt('%s.distinct()', recs),
    )
    return st.one_of(num, text, boolean, nums, mapping, recs,
                     _fmt('%s.keys()', mapping),
                     _fmt('%s.select(dict(id => $.id, name => $.name))',
                          recs),
                     _fmt('%s.%s', recs, _names),
                     _fmt('%s?.a', mapping | st.just('null')),
                     _fmt('%s[%s]', mapping, text),
                     _fmt('%s[%s, 0]', mapping, text),
                     _fmt('let(x => %s) -> $x', value))


_any = _build()
