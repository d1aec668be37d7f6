import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, type McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createToolRunner } from '../src/mcp/tool-runner.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createNotesServer } from '../src/servers/notes/server.js';
import { openNotesStore } from '../src/servers/notes/store.js';
import { createTextServer, extractUrls, slugify, textStats } from '../src/servers/text/server.js';
import { convert, createUnitsServer } from '../src/servers/units/server.js';
import { tempDir } from './own.js';

const run = createToolRunner({ metrics: createMetrics({ defaultMetrics: false }), logger: createLogger('silent'), timeoutMs: 5000 });

type Era = 'modern' | 'legacy';
const ERAS: Era[] = ['modern', 'legacy'];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/**
 * A client of `build`'s server in one era, in-process: the SDK's `createMcpHandler` serves the
 * requests (as the units server does over HTTP), a 2026-07-28 client or a 2025 one sends them.
 */
async function connect(build: () => McpServer, era: Era): Promise<Client> {
  const handler = createMcpHandler(() => build());
  const transport = new StreamableHTTPClientTransport(new URL('http://servers.test/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) });
  const client = new Client({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' } });
  await client.connect(transport);
  closers.push(async () => {
    await client.close();
    await handler.close();
  });
  expect(client.getProtocolEra()).toBe(era);
  return client;
}

describe('units', () => {
  it('converts within a dimension and refuses across dimensions or below absolute zero', () => {
    expect(convert(10, 'km', 'mi')).toBeCloseTo(6.21371, 5);
    expect(convert(1, 'lb', 'g')).toBeCloseTo(453.59237, 5);
    expect(convert(90, 'min', 'h')).toBe(1.5);
    expect(convert(100, 'C', 'F')).toBe(212);
    expect(convert(0, 'K', 'C')).toBe(-273.15);
    expect(() => convert(1, 'kg', 'm')).toThrow(/Cannot convert mass \(kg\) to length \(m\)/);
    expect(() => convert(-300, 'C', 'K')).toThrow(/below absolute zero/);
  });

  it.each(ERAS)('answers tool calls with structured content, and invalid units with a tool error (%s era)', async (era) => {
    const client = await connect(() => createUnitsServer(run), era);
    const result = await client.callTool({ name: 'convert', arguments: { value: 5, from: 'ft', to: 'in' } });
    expect(result.structuredContent).toEqual({ value: 60, unit: 'in' });
    const mismatch = await client.callTool({ name: 'convert', arguments: { value: 5, from: 'ft', to: 'kg' } });
    expect(mismatch.isError).toBe(true);
    expect(JSON.stringify(mismatch.content)).toMatch(/Cannot convert length/);
    const unknown = await client.callTool({ name: 'convert', arguments: { value: 5, from: 'parsec', to: 'm' } });
    expect(unknown.isError).toBe(true);
    const { tools } = await client.listTools();
    expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
  });
});

describe('text', () => {
  it('counts words, sentences and characters by code point', () => {
    expect(textStats('Hello there. How are you?\nFine!')).toEqual({ characters: 31, words: 6, lines: 2, sentences: 3 });
    expect(textStats('')).toEqual({ characters: 0, words: 0, lines: 0, sentences: 0 });
    expect(textStats('👍 ok').characters).toBe(4);
  });

  it('slugifies with accents folded and a length cap that never ends on "-"', () => {
    expect(slugify('Crème Brûlée: The Recipe!', 80)).toBe('creme-brulee-the-recipe');
    expect(slugify('one two three', 8)).toBe('one-two');
  });

  it('extracts distinct URLs without trailing punctuation', () => {
    expect(extractUrls('See https://example.com/a, and (http://x.org/b). Again https://example.com/a.')).toEqual(['https://example.com/a', 'http://x.org/b']);
  });

  it.each(ERAS)('serves tools and a prompt (%s era)', async (era) => {
    const client = await connect(() => createTextServer(run), era);
    const result = await client.callTool({ name: 'slugify', arguments: { text: 'Hello World' } });
    expect(result.structuredContent).toEqual({ slug: 'hello-world' });
    const prompt = await client.getPrompt({ name: 'summarize', arguments: { text: 'Long text', sentences: '2' } });
    expect(JSON.stringify(prompt.messages)).toMatch(/at most 2 sentences/);
  });
});

describe('notes', () => {
  it.each(ERAS)('adds, searches, reads as a resource and deletes; deleting twice is a tool error (%s era)', async (era) => {
    // One store for the connection: in the 2026 era every request gets a fresh server from the factory.
    const store = await openNotesStore();
    const client = await connect(() => createNotesServer(run, store), era);
    const added = await client.callTool({ name: 'add_note', arguments: { title: 'Groceries', body: 'milk and eggs', tags: ['home'] } });
    const id = (added.structuredContent as { id: string }).id;
    await client.callTool({ name: 'add_note', arguments: { title: 'Work', body: 'ship it' } });
    const found = await client.callTool({ name: 'search_notes', arguments: { query: 'MILK eggs' } });
    expect((found.structuredContent as { notes: { id: string }[] }).notes.map((note) => note.id)).toEqual([id]);
    const byTag = await client.callTool({ name: 'search_notes', arguments: { tag: 'home' } });
    expect((byTag.structuredContent as { notes: unknown[] }).notes).toHaveLength(1);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`note://${id}`);
    const read = await client.readResource({ uri: `note://${id}` });
    expect(read.contents[0]).toMatchObject({ text: expect.stringContaining('# Groceries') });
    expect((await client.callTool({ name: 'delete_note', arguments: { id } })).isError).toBeFalsy();
    const again = await client.callTool({ name: 'delete_note', arguments: { id } });
    expect(again.isError).toBe(true);
    expect(JSON.stringify(again.content)).toMatch(/No note with id/);
    const bad = await client.callTool({ name: 'add_note', arguments: { title: '', tags: ['Not Valid'] } });
    expect(bad.isError).toBe(true);
  });

  it('keeps notes in NOTES_FILE across restarts', async () => {
    const file = join(tempDir('notes'), 'data', 'notes.json');
    const first = await openNotesStore(file);
    const note = await first.add({ title: 'Persisted', body: '', tags: [] });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(1);
    const second = await openNotesStore(file);
    expect((await second.get(note.id))?.title).toBe('Persisted');
  });
});
