import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';

/**
 * A `--report` file must land in an existing folder and must not be a folder itself: found
 * before anything runs, so a typo is a usage error, not a wasted live run.
 */
export async function assertWritable(file: string): Promise<void> {
  const folder = path.dirname(file);
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) {
    throw new UserError(
      `--report ${file}: the folder ${folder} does not exist. Create it or name a file in an existing folder.`,
    );
  }
  const fileStat = await stat(file).catch(() => undefined);
  if (fileStat?.isDirectory()) {
    throw new UserError(`--report ${file} is a folder: name a file, e.g. ${path.join(file, 'verify.sarif')}.`);
  }
}

/** Writes a report whole or not at all: a reader never sees half a SARIF file. */
export async function writeReport(file: string, text: string): Promise<void> {
  const staged = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(staged, text.endsWith('\n') ? text : `${text}\n`);
    await rename(staged, file);
  } catch (error) {
    await rm(staged, { force: true });
    throw new UserError(`Could not write the report to ${file}: ${(error as Error).message}.`);
  }
}
