"""Operator settings applied through ``configure()`` (the package reads no
configuration files itself)."""

ALL_LANGUAGES = ('yaql', 'jinja')


class Settings(object):
    allowed_languages = frozenset(ALL_LANGUAGES)
    limit_iterators = -1
    memory_quota = -1
    # Bumped on every configure() so engines/caches built for the previous
    # settings are rebuilt lazily.
    generation = 0


settings = Settings()


def disabled_message(lang):
    return ("The '%s' expression language is disabled by the operator."
            % lang)
