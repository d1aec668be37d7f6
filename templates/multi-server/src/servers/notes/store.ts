import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Note {
  id: string;
  title: string;
  body: string;
  tags: string[];
  createdAt: string;
}

export interface NotesStore {
  add(note: Pick<Note, 'title' | 'body' | 'tags'>): Promise<Note>;
  get(id: string): Promise<Note | undefined>;
  list(): Promise<Note[]>;
  /** Notes whose title, body or tags contain every word of the query (case-insensitive). */
  search(query: string, tag?: string): Promise<Note[]>;
  /** False when there was no such note. */
  remove(id: string): Promise<boolean>;
}

/**
 * Notes in memory, or in a JSON file when `file` is given, so they outlive the server process
 * (a stdio server lives only as long as the client that started it). Writes go to a temporary
 * file that replaces the old one, so a crash never leaves half a file.
 */
export async function openNotesStore(file?: string, now: () => Date = () => new Date()): Promise<NotesStore> {
  const notes = new Map<string, Note>();
  if (file) {
    for (const note of await readNotes(file)) notes.set(note.id, note);
  }
  let writing = Promise.resolve();
  const persist = (): Promise<void> => {
    if (!file) return Promise.resolve();
    const snapshot = JSON.stringify([...notes.values()], null, 2);
    // One write at a time, in order: the file always ends up with the latest snapshot.
    writing = writing.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, snapshot);
      await rename(temporary, file);
    });
    return writing;
  };

  return {
    async add({ title, body, tags }) {
      const note: Note = { id: randomUUID().slice(0, 8), title, body, tags, createdAt: now().toISOString() };
      notes.set(note.id, note);
      await persist();
      return note;
    },
    async get(id) {
      return notes.get(id);
    },
    async list() {
      return [...notes.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async search(query, tag) {
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      return [...notes.values()].filter((note) => {
        if (tag && !note.tags.includes(tag)) return false;
        const haystack = `${note.title}\n${note.body}\n${note.tags.join(' ')}`.toLowerCase();
        return words.every((word) => haystack.includes(word));
      });
    },
    async remove(id) {
      const existed = notes.delete(id);
      if (existed) await persist();
      return existed;
    },
  };
}

async function readNotes(file: string): Promise<Note[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON array of notes`);
  return parsed as Note[];
}
