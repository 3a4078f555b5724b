"""What the import did (or, with ``--dry-run``, would do), for people.

Counts per kind (in the source, copied, already here, conflicts,
skipped), then notes, warnings, conflicts and blockers. Everything is
also logged, so an operator's log keeps the record of the import.
"""

import dataclasses
import logging

import tqdm

LOG = logging.getLogger('mistral_clone.import_mistral')

# Conflicts listed one by one in the report (all are logged).
SHOWN_CONFLICTS = 50


@dataclasses.dataclass
class Tally:
    source: int = 0
    copied: int = 0
    same: int = 0
    conflicts: int = 0
    skipped: int = 0


class Report:
    def __init__(self, out, dry_run):
        self.out = out
        self.dry_run = dry_run
        self.tallies = {}
        self.order = []
        self.notes = []
        self.warnings = []
        self.conflict_list = []
        self.blockers = []
        self.skips = {}

    # --- recording -----------------------------------------------------------

    def start(self, source, revision):
        self._print('%s from %s (Mistral schema %s)' % (
            'Dry run: nothing is written. Would import' if self.dry_run
            else 'Importing', source,
            'revision %s' % revision if revision else 'without alembic '
            'revision'))

    def tally(self, kind):
        found = self.tallies.get(kind.label)
        if found is None:
            found = self.tallies[kind.label] = Tally()
            self.order.append(kind.label)
        return found

    def note(self, text):
        LOG.info(text)
        self.notes.append(text)

    def warn(self, text):
        LOG.warning(text)
        self.warnings.append(text)

    def blocker(self, text):
        LOG.error(text)
        self.blockers.append(text)

    def skip(self, kind, row, why):
        key = (kind.label, why)
        self.skips.setdefault(key, []).append(row.get('name') or row['id'])

    def conflicts(self, conflicts):
        for c in conflicts:
            LOG.warning('conflict: %s', c)
            self.conflict_list.append(c)
            self.tally(c.kind).conflicts += 1

    def progress(self, total, unit, enabled):
        return tqdm.tqdm(total=total, unit=' ' + unit, disable=not enabled,
                         leave=False, dynamic_ncols=True)

    # --- results -------------------------------------------------------------

    @property
    def ok(self):
        return not self.conflict_list and not self.blockers

    def counts(self):
        """``{label: Tally}`` (for tests and callers)."""
        return dict(self.tallies)

    def finish(self):
        copied = 'would copy' if self.dry_run else 'copied'
        rows = [('', 'in source', copied, 'already here', 'conflicts',
                 'skipped')]
        for label in self.order:
            t = self.tallies[label]
            rows.append((label, t.source if label not in (
                'task executions', 'action executions') else '',
                t.copied, t.same if label not in (
                    'task executions', 'action executions') else '',
                t.conflicts, t.skipped))
        widths = [max(len(str(r[i])) for r in rows) for i in range(6)]
        for r in rows:
            self._print('  ' + '  '.join(
                str(v).ljust(widths[0]) if i == 0 else
                str(v).rjust(widths[i]) for i, v in enumerate(r)))
        for (label, why), names in sorted(self.skips.items()):
            self._print('Skipped %d %s (%s): %s' % (
                len(names), label, why, ', '.join(map(str, names[:10]))))
        for text in self.notes:
            self._print('Note: ' + text)
        for text in self.warnings:
            self._print('Warning: ' + text)
        if self.conflict_list:
            self._print('Conflicts (%d; our rows are kept, these source '
                        'rows are not copied):' % len(self.conflict_list))
            for c in self.conflict_list[:SHOWN_CONFLICTS]:
                self._print('  ' + str(c))
            if len(self.conflict_list) > SHOWN_CONFLICTS:
                self._print('  ... and %d more (see the log)'
                            % (len(self.conflict_list) - SHOWN_CONFLICTS))
        for text in self.blockers:
            self._print('Refused: ' + text)
        if not self.dry_run:
            LOG.info('import-mistral finished: %s', ', '.join(
                '%s %d copied' % (label, self.tallies[label].copied)
                for label in self.order))

    def _print(self, text):
        print(text, file=self.out)
