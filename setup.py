"""Build hook: the migrations travel inside the distribution.

The alembic scripts live in the top-level ``alembic/`` directory of the
repository (the design card's layout). A wheel must carry them too: every
build of the package copies that directory to ``mistral_clone/migrations``
inside the build tree, where ``mistral_clone.db.migration`` finds them at run
time. An editable install (``pip install -e .``) imports the package from the
checkout, where the migrations are found beside it in ``alembic/``; nothing is
copied into the source tree then. The sdist carries ``alembic/`` through
MANIFEST.in, so a wheel built from it has them as well.
"""

import os
import shutil

import setuptools
from setuptools.command import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS_SOURCE = 'alembic'
MIGRATIONS_TARGET = os.path.join('mistral_clone', 'migrations')


class BuildPyWithMigrations(build_py.build_py):

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        source = os.path.join(HERE, MIGRATIONS_SOURCE)
        target = os.path.join(self.build_lib, MIGRATIONS_TARGET)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(
            '__pycache__', '*.pyc'))

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, 'editable_mode', False):
            return outputs
        source = os.path.join(HERE, MIGRATIONS_SOURCE)
        for root, dirs, files in os.walk(source):
            dirs[:] = [d for d in dirs if d != '__pycache__']
            rel = os.path.relpath(root, source)
            for name in files:
                if not name.endswith('.pyc'):
                    outputs.append(os.path.normpath(os.path.join(
                        self.build_lib, MIGRATIONS_TARGET, rel, name)))
        return outputs


setuptools.setup(cmdclass={'build_py': BuildPyWithMigrations})
