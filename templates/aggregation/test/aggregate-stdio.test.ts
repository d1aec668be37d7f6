import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAggregator, parseServersConfig } from '../src/aggregate/index.js';
import { tempDir } from './own.js';

const FIXTURE = 'test/fixtures/counted-stdio.mjs';

/** What a stdio server of the fixture did for an aggregator that called its tool: the aggregator's state and answer, and the server's record. */
interface Run {
  state: string;
  text: unknown;
  /** Processes started. */
  starts: number;
  /** Methods received, in order. */
  methods: string[];
}

/** Opens an aggregator (following changes, or not) on one stdio server of the fixture and calls its tool. */
async function connectTo(mode: 'dual' | 'tolerant' | 'strict', followChanges = true): Promise<Run> {
  const records = tempDir('stdio-records');
  const [starts, methods] = [join(records, 'starts'), join(records, 'methods')];
  const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
  writeFileSync(starts, '');
  writeFileSync(methods, '');
  const servers = parseServersConfig(
    { mcpServers: { one: { command: process.execPath, args: [FIXTURE, mode], env: { STARTS_FILE: starts, METHODS_FILE: methods } } } },
    'the test',
  );
  const aggregator = await openAggregator({ servers, clientInfo: { name: 'stdio-test', version: '1.0.0' }, followChanges });
  try {
    const state = aggregator.status()[0]!.state;
    const result = await aggregator.callTool('one__hello', {});
    return { state, text: (result.content as { text?: string }[])[0]?.text, starts: lines(starts).length, methods: lines(methods) };
  } finally {
    await aggregator.close();
  }
}

describe('a stdio backend is started once for its connection', () => {
  it('a server of both eras: its era is probed on the process that is kept', async () => {
    expect(await connectTo('dual')).toMatchObject({ state: 'ready', text: 'hello from dual', starts: 1 });
  });

  it('a 2025 server that refuses server/discover as an unknown method: the 2025 handshake follows on the same process', async () => {
    expect(await connectTo('tolerant')).toMatchObject({ state: 'ready', text: 'hello from tolerant', starts: 1 });
  });

  it('a 2025 server that exits on server/discover: started once more, for the 2025 handshake alone', async () => {
    expect(await connectTo('strict')).toMatchObject({ state: 'ready', text: 'hello from strict', starts: 2 });
  });
});

describe('an aggregator that does not follow changes (a one-shot client)', () => {
  /** The methods the server received while an aggregator (following changes or not) called its tool, which answered. */
  async function methodsSeen(mode: 'dual' | 'tolerant', followChanges: boolean): Promise<string[]> {
    const { text, methods } = await connectTo(mode, followChanges);
    expect(text).toBe(`hello from ${mode}`);
    return methods;
  }

  it('a 2026-07-28 server: no subscriptions/listen stream is opened', async () => {
    expect(await methodsSeen('dual', true)).toContain('subscriptions/listen');
    const seen = await methodsSeen('dual', false);
    expect(seen).toContain('tools/call');
    expect(seen).not.toContain('subscriptions/listen');
  });

  it('a 2025 server offering resource updates: its resources are neither listed nor subscribed to', async () => {
    expect(await methodsSeen('tolerant', true)).toEqual(expect.arrayContaining(['resources/list', 'resources/subscribe']));
    const seen = await methodsSeen('tolerant', false);
    expect(seen).toContain('tools/call');
    expect(seen).not.toContain('resources/list');
    expect(seen).not.toContain('resources/subscribe');
  });
});
