import { describe, expect, it } from 'vitest';
import { STORE_IDS } from '../../../src/core/ids.js';
import { check, project } from './helpers.js';

const ID = 'resilience.backup-recovery';

describe(ID, () => {
  it('is manual on a fresh project, pointing at what to document', async () => {
    const result = await check(await project(), ID);
    expect(result.status).toBe('manual');
    expect(result.findings.at(-1)).toMatchObject({ file: 'CHECKLIST.md' });
    expect(result.findings.at(-1)?.message).toContain('restart');
  });

  it.each(STORE_IDS)('is manual, never pass, with the %s store even when a runbook mentions backups', async (store) => {
    const target = await project({ pattern: 'load-balanced', store, deploy: ['docker'] });
    await target.write('RUNBOOK.md', '# Runbook\n\nBackups: nightly snapshot, restore drill monthly.\n');
    const result = await check(target, ID);
    expect(result.status).toBe('manual');
    expect(result.findings.find((finding) => finding.file === 'RUNBOOK.md')).toMatchObject({ line: 3 });
  });
});
