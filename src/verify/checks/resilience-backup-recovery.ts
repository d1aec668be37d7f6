import type { StoreId } from '../../core/ids.js';
import { checklistItem, manual, type Check, type Finding } from '../check.js';

const DOCS = ['CHECKLIST.md', 'README.md', 'docs/operations.md', 'RUNBOOK.md'];

/** What must be written down for each store before going to production. */
const WHAT_TO_DOCUMENT: Record<StoreId, string> = {
  memory:
    'Sessions live in process memory: document that a restart or deploy ends every session, that clients must re-initialize, and how configuration and secrets are restored.',
  redis:
    'Document Redis persistence (RDB snapshots and/or AOF), where snapshots are copied, how to restore one, and what clients see when sessions are lost.',
  database:
    'Document database backups: for SQLite, a scheduled online backup (VACUUM INTO or the backup API) of the file; for Postgres, base backups with point-in-time recovery. Include a tested restore procedure.',
  hybrid:
    'The database is the durable copy: document its backups (SQLite backup or Postgres PITR) and a tested restore; Redis is repopulated from it on read.',
};

export const resilienceBackupRecovery: Check = {
  item: checklistItem('resilience.backup-recovery'),
  async static(ctx) {
    const findings: Finding[] = [];
    for (const doc of DOCS) {
      const line =
        (await ctx.lineOf(doc, /^#+.*(?:backup|restore|recovery)/im)) ??
        (await ctx.lineOf(doc, /backup|restore|recovery/i));
      if (line !== undefined) {
        findings.push({
          message: `${doc} mentions backup or recovery: review that the procedure is complete and has been rehearsed`,
          file: doc,
          line,
          remediation: `Keep the procedure in ${doc} current and record the date of the last restore drill.`,
        });
      }
    }
    findings.push({
      message: WHAT_TO_DOCUMENT[ctx.manifest.store],
      file: 'CHECKLIST.md',
      remediation:
        'Write the backup and restore procedure (what, how often, where copies go, how to restore, who is paged) in CHECKLIST.md or a runbook, and rehearse a restore.',
    });
    return manual(
      `Backups and recovery are operational procedures for the ${ctx.manifest.store} store: a person must confirm they are documented and rehearsed`,
      findings,
    );
  },
};
