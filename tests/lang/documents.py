"""Workflow documents for the language tests and bench/lang_parse.py
(plain text builders: no import of the package, so the benchmark can
measure another checkout with them)."""


def big_workflow(n, prefix='big'):
    lines = ["version: '2.0'", '%s:' % prefix, '  input: [a, {b: 5}]',
             '  output: {r: <% $.r0 %>}', '  task-defaults:',
             '    retry: {count: 2, delay: 1}', '    on-error: [handler]',
             '  tasks:', '    handler: {action: std.noop}']
    for i in range(n):
        lines += ['    task%d:' % i,
                  '      action: std.echo output="<%% $.a + %d %%>"' % i,
                  '      input: {x: <%% $.b * %d %%>}' % i,
                  '      publish: {r%d: <%% task().result %%>}' % i,
                  '      timeout: 10']
        if i + 1 < n:
            lines += ['      on-success:',
                      '        - task%d: <%% $.r%d != null %%>' % (i + 1, i),
                      '      on-complete: [task%d]' % (i + 1)]
    return '\n'.join(lines) + '\n'
