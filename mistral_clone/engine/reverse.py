"""Decisions for reverse workflows (pure): which tasks are ready to run."""

from mistral_clone.engine import states


def _post_order(wf_spec, target):
    order, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        for dep in wf_spec.requires(name):
            visit(dep)
        order.append(name)

    visit(target)
    return order


def ready_tasks(wf_spec, target, task_exs):
    """Tasks (in DFS post-order from ``target``) that have no execution yet
    and whose requirements all succeeded."""
    by_name = {}
    for t in task_exs:
        by_name[t.name] = t
    ready = []
    for name in _post_order(wf_spec, target):
        if name in by_name:
            continue
        if all(dep in by_name and by_name[dep].state == states.SUCCESS
               for dep in wf_spec.requires(name)):
            ready.append(name)
    return ready


def required_sources(wf_spec, name, task_exs):
    """Executions of the tasks ``name`` requires (their outbound contexts are
    merged into its inbound context)."""
    reqs = set(wf_spec.requires(name))
    return [t for t in task_exs if t.name in reqs and
            t.state == states.SUCCESS]
