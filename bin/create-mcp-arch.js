#!/usr/bin/env node
// Fail with a clear message on an old Node before any syntax or API it lacks is reached.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(
    `create-mcp-arch needs Node.js 20.19 or newer; this is ${process.versions.node}. Install a newer Node.js and try again.\n`,
  );
  process.exit(1);
}
// Node 22.1+ keeps the bundle's compiled code between runs (in the OS temp folder): faster starts.
(await import('node:module')).enableCompileCache?.();
await import('../dist/cli/create.js');
