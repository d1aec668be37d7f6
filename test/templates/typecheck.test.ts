import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates, type TemplateSet } from '../../src/render/templates.js';
import { renderProject, type RenderedProject } from '../render/rendered.js';
import { CHECKOUT, distinctPrograms, WORKSPACE, writeProgram, type Program } from './programs.js';

/**
 * Every distinct TypeScript program the generator can ship (each pattern, and each combination
 * of store, deploy targets, auth and session mode that changes the .ts files), type-checked by
 * the workspace's TypeScript against the workspace's pinned dependencies: no install, no network.
 *
 * Programs with the same compiler options are checked by one `tsc` over all of them (each in its
 * own folder with its own package.json): the libraries' declarations are read once instead of
 * once per program. A program that augments a module or the global scope is checked alone, so
 * that its declarations cannot make another program's mistake type-check.
 */
const tsc = createRequire(join(WORKSPACE, 'package.json')).resolve('typescript/bin/tsc');

const PLANTED = 'export const plantedTypeError: number = "not a number";\n';

/** A program as written to disk: its folder name and its files. */
interface Written {
  label: string;
  project: RenderedProject;
}

/** One tsc diagnostic, `folder/path(line,col): error TS1234: message`, by program folder. */
interface Diagnostic {
  program: string;
  file: string;
  text: string;
}

/**
 * The shipped templates with a type error appended to a template that the program renders,
 * unchanged in name, into a .ts file under src/; returns the broken set and that file.
 */
function withPlantedError(templates: TemplateSet, program: Program): { set: TemplateSet; destination: string } {
  for (const file of program.project.blueprint.files) {
    if (file.kind !== 'template' || !/^src\/.+\.ts$/.test(file.destination)) continue;
    const template = templates.files.get(file.template);
    if (!template) continue;
    const files = new Map(templates.files);
    files.set(file.template, { ...template, contents: Buffer.concat([template.contents, Buffer.from(`\n${PLANTED}`)]) });
    return { set: { ...templates, files }, destination: file.destination };
  }
  throw new Error(`no template renders a .ts file under src/ of ${program.label}`);
}

/** Groups of programs one tsc may check together: same compiler options, no augmentation. */
function groups(programs: Written[]): Written[][] {
  const byOptions = new Map<string, Written[]>();
  const alone: Written[][] = [];
  for (const program of programs) {
    const augments = [...program.project.files].some(([path, text]) => path.endsWith('.ts') && /^\s*declare\s+(global|module)\b/m.test(text));
    if (augments) alone.push([program]);
    else {
      const options = program.project.files.get('tsconfig.json') ?? '';
      byOptions.set(options, [...(byOptions.get(options) ?? []), program]);
    }
  }
  return [...byOptions.values(), ...alone];
}

/** Runs one tsc over a group of written programs, with the compiler options of their tsconfig.json. */
async function check(root: string, group: Written[], index: number): Promise<{ diagnostics: Diagnostic[]; output: string; exitCode: number | undefined }> {
  const first = group[0]!;
  const config = JSON.parse(readFileSync(join(root, first.label, 'tsconfig.json'), 'utf8')) as { include?: string[] };
  const include = config.include ?? ['**/*'];
  const file = join(root, `tsconfig.${index}.json`);
  writeFileSync(file, JSON.stringify({ extends: `./${first.label}/tsconfig.json`, include: group.flatMap((program) => include.map((pattern) => `${program.label}/${pattern}`)) }, null, 2));
  const result = await execa(process.execPath, [tsc, '-p', file, '--noEmit', '--pretty', 'false'], { cwd: root, reject: false, stdin: 'ignore' });
  const output = `${result.stdout}${result.stderr}`;
  const diagnostics = [...output.matchAll(/^([^(\n]+)\(\d+,\d+\): error (TS\d+: .*)$/gm)].map(([, path, text]) => {
    const [program = '', ...rest] = path!.split('/');
    return { program, file: rest.join('/'), text: text! };
  });
  return { diagnostics, output, exitCode: result.exitCode };
}

describe('the generated TypeScript, type-checked in the templates workspace', () => {
  const programs = distinctPrograms();
  let root: string | undefined;
  let planted: { label: string; destination: string };
  const results: Awaited<ReturnType<typeof check>>[] = [];

  beforeAll(async () => {
    mkdirSync(CHECKOUT, { recursive: true });
    // Runs run side by side, each in its own folder; one that was killed left its folder behind.
    for (const stale of readdirSync(CHECKOUT).map((name) => join(CHECKOUT, name))) {
      if (Date.now() - statSync(stale).mtimeMs > 60 * 60 * 1000) rmSync(stale, { recursive: true, force: true });
    }
    // tsc names files relative to the real working directory.
    root = realpathSync(mkdtempSync(join(CHECKOUT, 'run-')));
    // The same run must fail on a mistake in a template: the smallest program is checked as rendered
    // from the templates with one of them broken in memory, so it must show that one error and no other.
    const smallest = [...programs].sort((a, b) => a.project.files.size - b.project.files.size)[0]!;
    const broken = withPlantedError(loadTemplates(), smallest);
    planted = { label: smallest.label, destination: broken.destination };
    const written: Written[] = programs.map(({ label, project }) => ({ label, project: label === planted.label ? renderProject(smallest.options[0]!, broken.set) : project }));

    for (const { label, project } of written) writeProgram(label, project, root);
    results.push(...(await Promise.all(groups(written).map((group, index) => check(root!, group, index)))));
  }, 240_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('finds the distinct programs: at least one per pattern', () => {
    const patterns = new Set(programs.flatMap((program) => program.options.map((options) => options.pattern)));
    expect(patterns.size).toBeGreaterThan(1);
    for (const pattern of patterns) expect(programs.some((program) => program.options[0]!.pattern === pattern), pattern).toBe(true);
  });

  it('type-checks every distinct program', () => {
    const mistakes = results.flatMap((result) => result.diagnostics).filter((d) => d.program !== planted.label);
    const shipped = (label: string) => programs.find((p) => p.label === label)?.options.length ?? 0;
    expect(mistakes.map((d) => `${d.program} (shipped by ${shipped(d.program)} option combinations): ${d.file}: ${d.text}`)).toEqual([]);
    // A tsc that failed without a diagnostic in the expected shape (bad config, crash) fails too.
    for (const result of results) if (result.diagnostics.length === 0) expect(result.exitCode, result.output).toBe(0);
  });

  it('fails on a type error planted in a template, naming the rendered file (and finds nothing else in that program)', () => {
    const found = results.flatMap((result) => result.diagnostics).filter((d) => d.program === planted.label);
    expect(found.map((d) => `${d.file}: ${d.text}`)).toEqual([`${planted.destination}: TS2322: Type 'string' is not assignable to type 'number'.`]);
  });
});
