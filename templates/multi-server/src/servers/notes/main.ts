import { resolve } from 'node:path';
import { serveOverStdio } from '../stdio.js';
import { createNotesServer } from './server.js';
import { openNotesStore } from './store.js';

// NOTES_FILE keeps notes between runs (relative to the working directory); without it they live in memory.
const file = process.env.NOTES_FILE ? resolve(process.env.NOTES_FILE) : undefined;

await serveOverStdio({
  name: 'notes',
  prepare: () => openNotesStore(file),
  build: (run, store) => createNotesServer(run, store),
});
