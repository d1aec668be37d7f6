import { readFileSync } from 'node:fs';

export interface PackageInfo {
  name: string;
  version: string;
}

/** `package.json` is the parent folder's, whether this module runs from `src/` or `dist/`. */
export function readPackageInfo(): PackageInfo {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Partial<PackageInfo>;
    return { name: pkg.name ?? 'mcp-server', version: pkg.version ?? '0.0.0' };
  } catch {
    return { name: 'mcp-server', version: '0.0.0' };
  }
}
