"""std.javascript / std.js: py_mini_racer when installed, else node."""

import json as jsonlib
import shutil
import subprocess

from mistral_clone import exceptions as exc
from mistral_clone.actions.std_base import StdAction, set_class_paths


_JS_WRAPPER = """
var $ = %(context)s;
function f() { %(script)s
}
var __r = f();
process.stdout.write(JSON.stringify(__r === undefined ? null : __r));
"""

_js_settings = {'node_path': None, 'implementation': 'auto'}


def configure_javascript(implementation='auto', node_path=None):
    """``implementation``: auto | py_mini_racer | node | none."""
    _js_settings['implementation'] = implementation
    _js_settings['node_path'] = node_path


def _run_js_mini_racer(script, context):
    import py_mini_racer
    racer_cls = getattr(py_mini_racer, 'MiniRacer', None)
    if racer_cls is None:  # older releases nest the module
        racer_cls = py_mini_racer.py_mini_racer.MiniRacer
    ctx = racer_cls()
    ctx.eval('var $ = %s;' % jsonlib.dumps(context))
    out = ctx.eval('JSON.stringify((function f() { %s\n})())' % script)
    return jsonlib.loads(out) if out else None


def _run_js_node(node, script, context):
    program = _JS_WRAPPER % {'context': jsonlib.dumps(context),
                             'script': script}
    proc = subprocess.run([node, '-'], input=program.encode('utf-8'),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.decode('utf-8', 'replace')
                 .splitlines() if ln.strip()]
        errors = [ln for ln in lines if 'Error' in ln and ':' in ln]
        raise RuntimeError((errors or lines or ['node exited with %s' %
                                                proc.returncode])[0].strip())
    out = proc.stdout.decode('utf-8')
    return jsonlib.loads(out) if out else None


def _evaluate_js(script, context):
    impl = _js_settings['implementation']
    if impl in ('auto', 'py_mini_racer'):
        try:
            return _run_js_mini_racer(script, context)
        except ImportError:
            if impl == 'py_mini_racer':
                raise RuntimeError('py_mini_racer module is not available.')
    if impl in ('auto', 'node'):
        node = _js_settings['node_path'] or shutil.which('node')
        if node:
            return _run_js_node(node, script, context)
    raise RuntimeError(
        'No JavaScript engine is available. Please install py_mini_racer '
        'or node.')


class JavaScriptAction(StdAction):
    def __init__(self, script, context=None):
        super().__init__()
        self.script = script
        self.js_context = context

    def run(self, context):
        try:
            return _evaluate_js(self.script, self.js_context)
        except Exception as e:
            raise exc.ActionException('JavaScriptAction failed: %s' % e)

    def test(self, context):
        return self.script


set_class_paths(JavaScriptAction)
