import { runHttpServer } from '../http.js';
import { createUnitsServer } from './server.js';

// UNITS_PORT, not PORT: the main server of this project listens on PORT.
await runHttpServer({ name: 'units', build: (run) => createUnitsServer(run), portVariable: 'UNITS_PORT', defaultPort: 3101 });
