import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { makeProject, type Project } from './fixture.js';

/**
 * The HTML report as people see it: `mcp-arch verify --format html > report.html` on a project
 * with one real mistake, opened in headless Chromium, driven over the DevTools protocol on a pipe
 * (`--remote-debugging-pipe`: fd 3 carries commands in, fd 4 answers and events out, each message
 * JSON ended by a NUL byte).
 */
const FAILING = 'security.origin-validation';
const VIEWPORT = { width: 1280, height: 900 };
/** `--fail` of the report's stylesheet: the failing check's left border. */
const FAIL_RGB = [0xb4, 0x23, 0x18] as const;

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A DevTools protocol client over Chromium's debugging pipe. */
class PipeCdp {
  private next = 1;
  private buffer = '';
  private readonly pending = new Map<
    number,
    { resolve: (value: CdpMessage) => void; reject: (error: Error) => void }
  >();
  readonly events: CdpMessage[] = [];
  private readonly waiters: { test: (event: CdpMessage) => boolean; resolve: (event: CdpMessage) => void }[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const message = JSON.parse(this.buffer.slice(0, end)) as CdpMessage;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
    output.on('close', () => {
      for (const { reject } of this.pending.values()) reject(new Error('the browser closed the debugging pipe'));
      this.pending.clear();
    });
  }

  private dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(message.error.message));
      else waiting?.resolve(message);
      return;
    }
    this.events.push(message);
    for (const waiter of [...this.waiters])
      if (waiter.test(message)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (message) => resolve(message.result ?? {}), reject });
      this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** The first event (already received or still to come) that `test` accepts, within `timeoutMs`. */
  event(test: (event: CdpMessage) => boolean, what: string, timeoutMs = 15_000): Promise<CdpMessage> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }
}

/** A PNG's size and RGB pixels (8-bit RGB or RGBA, not interlaced: what Chromium writes). */
function decodePng(png: Buffer): {
  width: number;
  height: number;
  rgb: (x: number, y: number) => [number, number, number];
} {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8], 'bit depth').toBe(8);
      expect(body[12], 'interlace').toBe(0);
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      expect(channels, `colour type ${body[9]}`).toBeGreaterThan(0);
    }
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] as number;
      const left = x >= channels ? (pixels[y * stride + x - channels] as number) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const upLeft = y > 0 && x >= channels ? (pixels[(y - 1) * stride + x - channels] as number) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = Math.floor((left + up) / 2);
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return {
    width,
    height,
    rgb: (x, y) => {
      const at = y * stride + x * channels;
      return [pixels[at] as number, pixels[at + 1] as number, pixels[at + 2] as number];
    },
  };
}

async function findChromium(): Promise<string> {
  for (const name of ['chromium', 'chromium-browser']) {
    const found = await execa('sh', ['-c', `command -v ${name}`], { reject: false });
    if (found.exitCode === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  throw new Error(
    'Chromium is not installed: the HTML report is tested in it. Install it (apt-get install -y chromium).',
  );
}

describe('the HTML report in a browser', () => {
  let project: Project;
  let workDir: string;
  let browser: ChildProcess | undefined;
  let cdp: PipeCdp;
  let session: string;
  let screenshot: Buffer;
  let layout: {
    rect: { left: number; top: number; right: number; bottom: number };
    visible: boolean;
    onTop: boolean;
    badge: string;
  };

  beforeAll(async () => {
    const chromium = await findChromium();
    project = await makeProject({ pattern: 'single' });
    // One real mistake: Origin validation no longer wired into the app.
    await project.edit('src/app.ts', (text) => text.replace(/^\s*app\.use\('\/mcp', originGuard\([^\n]*\n/m, ''));
    const verified = await run('mcpArch', ['verify', '--dir', project.dir, '--format', 'html']);
    expect(verified.exitCode, verified.stderr).toBe(1);
    workDir = await mkdtemp(path.join(tmpdir(), 'verify-html-'));
    const report = path.join(workDir, 'report.html');
    await writeFile(report, verified.stdout);

    browser = spawn(
      chromium,
      [
        '--headless',
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        '--disable-gpu',
        '--remote-debugging-pipe',
        `--user-data-dir=${path.join(workDir, 'profile')}`,
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-extensions',
        '--hide-scrollbars',
        `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    browser.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      browser?.once('exit', (code) => reject(new Error(`Chromium exited (${code}) before the test ended:\n${stderr}`))),
    );
    exited.catch(() => undefined);
    try {
      cdp = new PipeCdp(browser.stdio[3] as Writable, browser.stdio[4] as Readable);
      const { targetId } = (await Promise.race([cdp.send('Target.createTarget', { url: 'about:blank' }), exited])) as {
        targetId: string;
      };
      ({ sessionId: session } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as {
        sessionId: string;
      });
      for (const domain of ['Page', 'Runtime', 'Log']) await cdp.send(`${domain}.enable`, {}, session);
      await cdp.send(
        'Emulation.setDeviceMetricsOverride',
        { ...VIEWPORT, deviceScaleFactor: 1, mobile: false },
        session,
      );
      await cdp.send('Page.navigate', { url: pathToFileURL(report).href }, session);
      await cdp.event((event) => event.method === 'Page.loadEventFired' && event.sessionId === session, 'load event');

      const evaluated = await cdp.send(
        'Runtime.evaluate',
        {
          returnByValue: true,
          expression: `(() => {
            const element = document.getElementById(${JSON.stringify(`check-${FAILING}`)});
            const rect = element.getBoundingClientRect();
            const style = getComputedStyle(element);
            const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + Math.min(rect.height, 40) / 2);
            return {
              rect: { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom },
              visible: element.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && style.display !== 'none' && Number(style.opacity) > 0,
              onTop: element.contains(hit),
              badge: element.querySelector('.badge').textContent,
            };
          })()`,
        },
        session,
      );
      layout = (evaluated.result as { value: typeof layout }).value;
      const shot = (await cdp.send('Page.captureScreenshot', { format: 'png' }, session)) as { data: string };
      screenshot = Buffer.from(shot.data, 'base64');
      await writeFile(path.join(workDir, 'report.png'), screenshot);
    } catch (error) {
      // The browser must not outlive a failed setup.
      browser.kill('SIGKILL');
      throw error;
    }
  }, 120_000);

  afterAll(async () => {
    if (browser && browser.exitCode === null && browser.signalCode === null) {
      const gone = new Promise((resolve) => browser?.once('exit', resolve));
      await cdp?.send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => browser?.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    await project?.cleanup();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('loads without a console error or an exception', () => {
    const errors = cdp.events.filter(
      (event) =>
        event.method === 'Runtime.exceptionThrown' ||
        (event.method === 'Runtime.consoleAPICalled' && event.params?.type === 'error') ||
        (event.method === 'Log.entryAdded' &&
          (event.params?.entry as { level?: string } | undefined)?.level === 'error'),
    );
    expect(errors).toEqual([]);
  });

  it('lays the failing check out inside the first screen, visible, with its status in words', () => {
    expect(layout.visible).toBe(true);
    expect(layout.onTop).toBe(true);
    expect(layout.badge).toBe('✖ FAIL');
    expect(layout.rect.left).toBeGreaterThanOrEqual(0);
    expect(layout.rect.top).toBeGreaterThanOrEqual(0);
    expect(layout.rect.right).toBeLessThanOrEqual(VIEWPORT.width);
    expect(layout.rect.bottom).toBeLessThanOrEqual(VIEWPORT.height);
    expect(layout.rect.bottom - layout.rect.top).toBeGreaterThan(30);
  });

  it('takes a screenshot that shows the page, and the failing check in its colour', () => {
    expect(screenshot.length).toBeGreaterThan(20_000);
    const image = decodePng(screenshot);
    expect({ width: image.width, height: image.height }).toEqual(VIEWPORT);
    const colours = new Set<string>();
    for (let y = 0; y < image.height; y += 7)
      for (let x = 0; x < image.width; x += 7) colours.add(image.rgb(x, y).join());
    expect(colours.size).toBeGreaterThan(20);
    // The failing check's left border, 6 px of the fail colour, down the middle of its box.
    const x = Math.round(layout.rect.left + 2);
    const y = Math.round((layout.rect.top + layout.rect.bottom) / 2);
    const [r, g, b] = image.rgb(x, y);
    expect(
      Math.abs(r - FAIL_RGB[0]) + Math.abs(g - FAIL_RGB[1]) + Math.abs(b - FAIL_RGB[2]),
      `rgb(${r},${g},${b})`,
    ).toBeLessThan(30);
  });

  it('refuses to load anything from the network: its policy blocks an injected image, and the console says so', async () => {
    await cdp.send(
      'Runtime.evaluate',
      { expression: `document.body.insertAdjacentHTML('beforeend', '<img src="http://127.0.0.1:9/probe.png">')` },
      session,
    );
    const violation = await cdp.event(
      (event) =>
        event.method === 'Log.entryAdded' &&
        /Content Security Policy/i.test((event.params?.entry as { text?: string } | undefined)?.text ?? ''),
      'Content-Security-Policy violation in the console',
    );
    expect((violation.params?.entry as { level: string }).level).toBe('error');
  });
});
