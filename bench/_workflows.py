"""Workflow definitions used by the benchmark scenarios (Mistral DSL v2)."""


def one_task(name):
    return ("version: '2.0'\n"
            "%s:\n"
            "  tasks:\n"
            "    t1:\n"
            "      action: std.noop\n" % name)


def chain(name, n):
    lines = ["version: '2.0'", "%s:" % name, "  tasks:"]
    for i in range(1, n + 1):
        lines.append("    t%d:" % i)
        lines.append("      action: std.noop")
        if i < n:
            lines.append("      on-success: t%d" % (i + 1))
    return "\n".join(lines) + "\n"


def fanout(name, n):
    """n parallel start tasks, all joined by one ``join: all`` task."""
    lines = ["version: '2.0'", "%s:" % name, "  tasks:"]
    for i in range(1, n + 1):
        lines.append("    b%d:" % i)
        lines.append("      action: std.noop")
        lines.append("      on-success: join_all")
    lines.append("    join_all:")
    lines.append("      join: all")
    lines.append("      action: std.noop")
    return "\n".join(lines) + "\n"


def with_items(name, concurrency):
    return ("version: '2.0'\n"
            "%s:\n"
            "  input:\n"
            "    - items\n"
            "  tasks:\n"
            "    t1:\n"
            "      with-items: i in <%% $.items %%>\n"
            "      concurrency: %d\n"
            "      action: std.echo output=<%% $.i %%>\n"
            % (name, concurrency))
