import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ToolRunner } from '../../mcp/tool-runner.js';

const MAX_TEXT = 100_000;
const readOnly = { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false } as const;

export interface TextStats {
  characters: number;
  words: number;
  lines: number;
  sentences: number;
}

export function textStats(text: string): TextStats {
  const words = text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? [];
  const sentences = text.split(/[.!?]+(?:\s|$)/u).filter((part) => /[\p{L}\p{N}]/u.test(part));
  return {
    // Code points, not UTF-16 units: an emoji is one character to a reader.
    characters: [...text].length,
    words: words.length,
    lines: text === '' ? 0 : text.split(/\r\n|\r|\n/).length,
    sentences: sentences.length,
  };
}

/** Lower-case ASCII words joined by `-`: accents folded, everything else dropped. */
export function slugify(text: string, maxLength: number): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, maxLength).replace(/-+$/, '');
}

export function extractUrls(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/\bhttps?:\/\/[^\s<>"'`)\]]+/gi)) {
    const candidate = match[0].replace(/[.,;:!?]+$/, '');
    if (URL.canParse(candidate)) found.add(candidate);
  }
  return [...found];
}

/** The text tools server: pure functions over the given text, served over stdio. */
export function createTextServer(run: ToolRunner, info = { name: 'text', version: '1.0.0' }): McpServer {
  const server = new McpServer(info, { instructions: 'Text utilities: statistics, slugs and URL extraction.' });
  const text = z.string().max(MAX_TEXT).describe('The text to work on');

  server.registerTool(
    'word_count',
    {
      title: 'Word count',
      description: 'Counts characters, words, lines and sentences of a text.',
      inputSchema: z.object({ text }),
      outputSchema: z.object({ characters: z.number(), words: z.number(), lines: z.number(), sentences: z.number() }),
      annotations: readOnly,
    },
    ({ text: input }, ctx) =>
      run('word_count', ctx, async () => {
        const stats = textStats(input);
        return {
          content: [{ type: 'text', text: `${stats.words} words, ${stats.characters} characters, ${stats.lines} lines, ${stats.sentences} sentences` }],
          structuredContent: { ...stats },
        };
      }),
  );

  server.registerTool(
    'slugify',
    {
      title: 'Slugify',
      description: 'Turns a title into a URL slug (lower-case ASCII words joined by "-").',
      inputSchema: z.object({ text: text.min(1), maxLength: z.number().int().min(1).max(200).default(80).describe('Longest slug to return') }),
      outputSchema: z.object({ slug: z.string() }),
      annotations: readOnly,
    },
    ({ text: input, maxLength }, ctx) =>
      run('slugify', ctx, async () => {
        const slug = slugify(input, maxLength);
        return { content: [{ type: 'text', text: slug }], structuredContent: { slug } };
      }),
  );

  server.registerTool(
    'extract_urls',
    {
      title: 'Extract URLs',
      description: 'Lists the distinct http(s) URLs found in a text, in order of appearance.',
      inputSchema: z.object({ text }),
      outputSchema: z.object({ urls: z.array(z.string()) }),
      annotations: readOnly,
    },
    ({ text: input }, ctx) =>
      run('extract_urls', ctx, async () => {
        const urls = extractUrls(input);
        return { content: [{ type: 'text', text: urls.length > 0 ? urls.join('\n') : 'No URLs found' }], structuredContent: { urls } };
      }),
  );

  server.registerPrompt(
    'summarize',
    {
      title: 'Summarize',
      description: 'Asks the model for a short summary of a text.',
      argsSchema: z.object({ text: z.string().min(1).max(MAX_TEXT), sentences: z.string().regex(/^\d{1,2}$/).optional() }),
    },
    ({ text: input, sentences }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Summarize the following text in at most ${sentences ?? '3'} sentences:\n\n${input}` } }],
    }),
  );

  return server;
}
