import { serveOverStdio } from '../stdio.js';
import { createTextServer } from './server.js';

await serveOverStdio({ name: 'text', prepare: () => undefined, build: (run) => createTextServer(run) });
