import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMINGS, loadRegions, parseRegions, RegionsConfigError } from '../src/client/regions.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OVERLAYS = `${ROOT}deploy/k8s/overlays`;

describe('regions.json', () => {
  it('the shipped file is valid and lists distinct regions', () => {
    const config = loadRegions(`${ROOT}regions.json`, { MCP_API_KEY: 'k', MCP_ACCESS_TOKEN: 't' });
    expect(config.regions.length).toBeGreaterThanOrEqual(2);
    for (const region of config.regions) expect(region.healthUrl).toBe(new URL('/health', region.url).toString());
  });

  it.skipIf(!existsSync(OVERLAYS))('has one Kubernetes overlay per region, and no other', () => {
    const config = loadRegions(`${ROOT}regions.json`, { MCP_API_KEY: 'k', MCP_ACCESS_TOKEN: 't' });
    expect(readdirSync(OVERLAYS).sort()).toEqual(config.regions.map((r) => r.name).sort());
    for (const region of config.regions) {
      expect(readFileSync(`${OVERLAYS}/${region.name}/kustomization.yaml`, 'utf8')).toContain(`value: ${region.name}`);
    }
  });

  it('fills defaults and takes header values from the environment', () => {
    const config = parseRegions(
      { regions: [{ name: 'eu-west', url: 'https://eu.example.com/mcp' }], headers: { Authorization: 'Bearer ${TOKEN}' }, timings: { requestTimeoutMs: 1234 } },
      'regions.json',
      { TOKEN: 'secret' },
    );
    expect(config.headers).toEqual({ Authorization: 'Bearer secret' });
    expect(config.timings).toEqual({ ...DEFAULT_TIMINGS, requestTimeoutMs: 1234 });
    // 2026-07-28 first, 2025 fallback, unless the file says otherwise.
    expect(config.protocol).toBe('auto');
    expect(parseRegions({ regions: [{ name: 'eu-west', url: 'https://eu.example.com/mcp' }], protocol: 'legacy' }).protocol).toBe('legacy');
  });

  it('names every problem and the field to fix', () => {
    const attempt = () =>
      parseRegions(
        {
          regions: [
            { name: 'eu-west', url: 'ftp://eu.example.com' },
            { name: 'Bad Name', url: 'https://x.example.com/mcp' },
          ],
          protocol: '2024',
          timings: { requestTimeoutMs: -1, unknownTiming: 5 },
        },
        'my-regions.json',
        {},
      );
    expect(attempt).toThrow(RegionsConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/^my-regions\.json: invalid regions configuration/);
    expect(message).toMatch(/regions\.0\.url: expected the http\(s\) URL/);
    expect(message).toMatch(/regions\.1\.name: expected a region name/);
    expect(message).toMatch(/protocol: expected auto, modern \(2026-07-28 only\) or legacy \(2025 only\)/);
    expect(message).toMatch(/timings\.requestTimeoutMs/);
    expect(message).toMatch(/timings: .*unknownTiming/);
  });

  it('refuses duplicate regions and unset header variables', () => {
    expect(() =>
      parseRegions(
        { regions: [{ name: 'a', url: 'https://a.example.com/mcp' }, { name: 'a', url: 'https://b.example.com/mcp' }], headers: { Authorization: 'Bearer ${MISSING}' } },
        'regions.json',
        {},
      ),
    ).toThrow(/regions: a is listed twice[\s\S]*headers\.Authorization: environment variable MISSING is not set/);
    expect(() => parseRegions({ regions: [] })).toThrow(/regions: list at least one region/);
  });

  it('says when the file cannot be read or parsed', () => {
    expect(() => loadRegions(`${ROOT}no-such-regions.json`)).toThrow(/cannot read the file \(ENOENT\); pass another with --regions or REGIONS_FILE/);
    expect(() => loadRegions(`${ROOT}package.json`)).toThrow(/regions: /);
  });
});
