import { readFileSync } from 'node:fs';

let cachedTool: { name: string; version: string } | undefined;

/** This package's name and version, read once from its package.json (two levels up from src/ or dist/). */
export function toolInfo(): { name: string; version: string } {
  if (!cachedTool) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: string; version?: string };
      cachedTool = { name: pkg.name ?? 'create-mcp-arch', version: pkg.version ?? '0.0.0' };
    } catch {
      cachedTool = { name: 'create-mcp-arch', version: '0.0.0' };
    }
  }
  return cachedTool;
}
