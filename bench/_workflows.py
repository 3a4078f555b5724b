"""Workflow definitions used by the benchmark scenarios (Mistral DSL v2)."""


def one_task(name):
    return ("version: '2.0'\n"
            "%s:\n"
            "  tasks:\n"
            "    t1:\n"
            "      action: std.noop\n" % name)


def many_one_task(names):
    """One document defining a one-task workflow per name."""
    return "version: '2.0'\n" + "".join(
        "%s:\n  tasks:\n    t1:\n      action: std.noop\n" % name
        for name in names)


# The action of each task in the "executor" variants of the throughput
# scenarios: built-in actions our engine never runs inline, so every task
# takes the executor path (as real workflows' actions do).
EXECUTOR_TASK_ACTION = 'std.sleep seconds=0'
EXECUTOR_ITEM_ACTION = 'std.echo output=<% $.i %> delay=0.001'
INLINE_ITEM_ACTION = 'std.echo output=<% $.i %>'


def chain(name, n, action='std.noop'):
    lines = ["version: '2.0'", "%s:" % name, "  tasks:"]
    for i in range(1, n + 1):
        lines.append("    t%d:" % i)
        lines.append("      action: %s" % action)
        if i < n:
            lines.append("      on-success: t%d" % (i + 1))
    return "\n".join(lines) + "\n"


def fanout(name, n, action='std.noop'):
    """n parallel start tasks, all joined by one ``join: all`` task."""
    lines = ["version: '2.0'", "%s:" % name, "  tasks:"]
    for i in range(1, n + 1):
        lines.append("    b%d:" % i)
        lines.append("      action: %s" % action)
        lines.append("      on-success: join_all")
    lines.append("    join_all:")
    lines.append("      join: all")
    lines.append("      action: %s" % action)
    return "\n".join(lines) + "\n"


def with_items(name, concurrency, action=INLINE_ITEM_ACTION):
    return ("version: '2.0'\n"
            "%s:\n"
            "  input:\n"
            "    - items\n"
            "  tasks:\n"
            "    t1:\n"
            "      with-items: i in <%% $.items %%>\n"
            "      concurrency: %d\n"
            "      action: %s\n"
            % (name, concurrency, action))
