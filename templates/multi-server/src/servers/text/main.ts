import { serveOverStdio } from '../stdio.js';
import { createTextServer } from './server.js';

await serveOverStdio({ name: 'text', build: (run) => createTextServer(run) });
