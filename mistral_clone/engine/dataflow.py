"""Data flow between tasks (pure): contexts, versioned merges, views, output.

A task's *inbound context* holds only branch-published data (plus a hidden
``__versions`` map); input, vars and global publishes are always read through
the layered view built by :func:`task_view` / :func:`workflow_view`.
"""


from mistral_clone import expressions
from mistral_clone.lang.specs import merge_dicts

VERSIONS = '__versions'


def outbound_context(in_context, published):
    """Inbound context updated (shallow) with ``published``, versions bumped."""
    out = dict(in_context or {})
    if published:
        versions = dict(out.get(VERSIONS) or {})
        for key, value in published.items():
            out[key] = value
            versions[key] = versions.get(key, 0) + 1
        out[VERSIONS] = versions
    return out


# Deep merge of two dicts, the second winning (shared with the language's
# publish combination rules).
deep_merge = merge_dicts


def merge_contexts(contexts, versioning=True):
    """Merge several outbound contexts (a join, or the final context).

    With versioning, per key the value with the higher version wins; on a tie
    the value of the merge base (the last context) wins. Without it, later
    contexts win.
    """
    contexts = [c for c in contexts if c is not None]
    if not contexts:
        return {}
    if len(contexts) == 1:
        return dict(contexts[0])
    if not versioning:
        result = {}
        for c in contexts:
            result = deep_merge(result, c)
        return result
    base = contexts[-1]
    result = dict(base)
    versions = dict(base.get(VERSIONS) or {})
    for ctx in contexts[:-1]:
        other_versions = ctx.get(VERSIONS) or {}
        for key, value in ctx.items():
            if key == VERSIONS:
                continue
            if key not in result:
                result[key] = value
                if key in other_versions:
                    versions[key] = other_versions[key]
                continue
            mine = versions.get(key, 0)
            theirs = other_versions.get(key, 0)
            if theirs > mine:
                result[key] = value
                versions[key] = theirs
            elif theirs == mine and isinstance(value, dict) and isinstance(
                    result[key], dict):
                result[key] = deep_merge(value, result[key])
    if versions:
        result[VERSIONS] = versions
    return result


def strip_internal(ctx):
    if not ctx:
        return {}
    if VERSIONS not in ctx:
        return dict(ctx)
    return {k: v for k, v in ctx.items() if k != VERSIONS}


def task_view(task_info, env, wf_context, wf_input, branch_ctx, extra=None):
    """The ``$``/``_`` a task's expressions see (dsl.md §7.2).

    ``task_info`` is ``{'id':..., 'name':...}`` of the task execution or None.
    Layers: __task_execution, __env → branch context → extra (with-items
    vars) → workflow context (vars, globals, __execution) → input.
    """
    special = {'__env': env or {}}
    if task_info is not None:
        special['__task_execution'] = task_info
    # Item variables of with-items sit *under* the branch context: a value
    # published upstream under the same name wins (as in the reference).
    layers = [special, branch_ctx or {}]
    if extra:
        layers.append(extra)
    layers.append(wf_context or {})
    layers.append(wf_input or {})
    return expressions.ContextView(*layers)


def workflow_view(env, wf_context, wf_input, final_ctx=None):
    """View for workflow ``output``/``output-on-error``/``vars``."""
    layers = []
    if final_ctx:
        layers.append(final_ctx)
    layers.append({'__env': env or {}})
    layers.append(wf_context or {})
    layers.append(wf_input or {})
    return expressions.ContextView(*layers)
