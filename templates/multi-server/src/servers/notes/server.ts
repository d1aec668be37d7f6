import { McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ToolError, type ToolRunner } from '../../mcp/tool-runner.js';
import type { Note, NotesStore } from './store.js';

const noteShape = { id: z.string(), title: z.string(), body: z.string(), tags: z.array(z.string()), createdAt: z.string() };

function label(note: Note): string {
  return `[${note.id}] ${note.title}${note.tags.length > 0 ? ` (${note.tags.join(', ')})` : ''}`;
}

/** The notes server: tools that write (add, delete) and read, and every note as a `note://` resource. */
export function createNotesServer(run: ToolRunner, store: NotesStore, info = { name: 'notes', version: '1.0.0' }): McpServer {
  const server = new McpServer(info, { instructions: 'A small note book: add, search and delete notes; read one as note://<id>.' });

  server.registerTool(
    'add_note',
    {
      title: 'Add a note',
      description: 'Stores a new note and returns its id.',
      inputSchema: z.object({
        title: z.string().trim().min(1).max(200).describe('Short title'),
        body: z.string().max(20_000).default('').describe('The note itself'),
        tags: z.array(z.string().regex(/^[a-z0-9-]{1,32}$/, 'tags are lower-case letters, digits and -')).max(10).default([]).describe('Tags to find it by'),
      }),
      outputSchema: z.object(noteShape),
      // Writes, never overwrites: calling it twice stores two notes.
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ title, body, tags }, ctx) =>
      run('add_note', ctx, async () => {
        const note = await store.add({ title, body, tags });
        return { content: [{ type: 'text', text: `Added ${label(note)}` }], structuredContent: { ...note } };
      }),
  );

  server.registerTool(
    'search_notes',
    {
      title: 'Search notes',
      description: 'Finds notes whose title, body or tags contain every word of the query; an empty query lists them all.',
      inputSchema: z.object({
        query: z.string().max(500).default('').describe('Words to look for'),
        tag: z.string().max(32).optional().describe('Only notes with this tag'),
      }),
      outputSchema: z.object({ notes: z.array(z.object(noteShape)) }),
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    ({ query, tag }, ctx) =>
      run('search_notes', ctx, async () => {
        const notes = await store.search(query, tag);
        return { content: [{ type: 'text', text: notes.length > 0 ? notes.map(label).join('\n') : 'No matching notes' }], structuredContent: { notes } };
      }),
  );

  server.registerTool(
    'delete_note',
    {
      title: 'Delete a note',
      description: 'Deletes a note by id.',
      inputSchema: z.object({ id: z.string().min(1).max(64).describe('Id returned by add_note') }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ id }, ctx) =>
      run('delete_note', ctx, async () => {
        if (!(await store.remove(id))) throw new ToolError(`No note with id ${id}; search_notes lists the ids`);
        return { content: [{ type: 'text', text: `Deleted note ${id}` }] };
      }),
  );

  server.registerResource(
    'note',
    new ResourceTemplate('note://{id}', {
      list: async () => ({
        resources: (await store.list()).map((note) => ({ uri: `note://${note.id}`, name: note.title, mimeType: 'text/markdown' })),
      }),
    }),
    { title: 'Note', description: 'One note as Markdown', mimeType: 'text/markdown' },
    async (uri, { id }) => {
      const note = typeof id === 'string' ? await store.get(id) : undefined;
      if (!note) throw new Error(`No note with id ${String(id)}`);
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: `# ${note.title}\n\n${note.body}\n` }] };
    },
  );

  return server;
}
