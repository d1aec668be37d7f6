import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ToolError, type ToolRunner } from '../../mcp/tool-runner.js';

type Dimension = 'length' | 'mass' | 'time' | 'temperature';

/** Factors to the dimension's base unit (metre, kilogram, second); temperatures convert by formula. */
const UNITS: Record<string, { dimension: Dimension; factor: number; name: string }> = {
  mm: { dimension: 'length', factor: 0.001, name: 'millimetre' },
  cm: { dimension: 'length', factor: 0.01, name: 'centimetre' },
  m: { dimension: 'length', factor: 1, name: 'metre' },
  km: { dimension: 'length', factor: 1000, name: 'kilometre' },
  in: { dimension: 'length', factor: 0.0254, name: 'inch' },
  ft: { dimension: 'length', factor: 0.3048, name: 'foot' },
  yd: { dimension: 'length', factor: 0.9144, name: 'yard' },
  mi: { dimension: 'length', factor: 1609.344, name: 'mile' },
  g: { dimension: 'mass', factor: 0.001, name: 'gram' },
  kg: { dimension: 'mass', factor: 1, name: 'kilogram' },
  oz: { dimension: 'mass', factor: 0.028349523125, name: 'ounce' },
  lb: { dimension: 'mass', factor: 0.45359237, name: 'pound' },
  s: { dimension: 'time', factor: 1, name: 'second' },
  min: { dimension: 'time', factor: 60, name: 'minute' },
  h: { dimension: 'time', factor: 3600, name: 'hour' },
  d: { dimension: 'time', factor: 86_400, name: 'day' },
  C: { dimension: 'temperature', factor: 1, name: 'degree Celsius' },
  F: { dimension: 'temperature', factor: 1, name: 'degree Fahrenheit' },
  K: { dimension: 'temperature', factor: 1, name: 'kelvin' },
};

const unitIds = Object.keys(UNITS) as [string, ...string[]];

function toKelvin(value: number, unit: string): number {
  if (unit === 'C') return value + 273.15;
  if (unit === 'F') return ((value - 32) * 5) / 9 + 273.15;
  return value;
}

function fromKelvin(kelvin: number, unit: string): number {
  if (unit === 'C') return kelvin - 273.15;
  if (unit === 'F') return ((kelvin - 273.15) * 9) / 5 + 32;
  return kelvin;
}

/** Converts between units of one dimension; a mismatch or a temperature below absolute zero is the caller's error. */
export function convert(value: number, from: string, to: string): number {
  const source = UNITS[from];
  const target = UNITS[to];
  if (!source || !target) throw new ToolError(`Unknown unit: ${source ? to : from}. Known units: ${unitIds.join(', ')}`);
  if (source.dimension !== target.dimension) {
    throw new ToolError(`Cannot convert ${source.dimension} (${from}) to ${target.dimension} (${to}); pick two units of the same dimension`);
  }
  if (source.dimension === 'temperature') {
    const kelvin = toKelvin(value, from);
    if (kelvin < 0) throw new ToolError(`${value} ${from} is below absolute zero`);
    return round(fromKelvin(kelvin, to));
  }
  return round((value * source.factor) / target.factor);
}

/** Twelve significant digits hide binary floating-point noise (0.1 + 0.2) without losing real precision. */
function round(value: number): number {
  return Number(value.toPrecision(12));
}

/** The unit conversion server: pure, read-only tools, served over Streamable HTTP. */
export function createUnitsServer(run: ToolRunner, info = { name: 'units', version: '1.0.0' }): McpServer {
  const server = new McpServer(info, { instructions: 'Unit conversions for length, mass, time and temperature.' });

  server.registerTool(
    'convert',
    {
      title: 'Convert units',
      description: 'Converts a value between two units of the same dimension (length, mass, time or temperature).',
      inputSchema: z.object({
        value: z.number().describe('The value to convert'),
        from: z.enum(unitIds).describe('Unit of the value'),
        to: z.enum(unitIds).describe('Unit to convert to'),
      }),
      outputSchema: z.object({ value: z.number(), unit: z.string() }),
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    ({ value, from, to }, ctx) =>
      run('convert', ctx, async () => {
        const result = convert(value, from, to);
        return { content: [{ type: 'text', text: `${value} ${from} = ${result} ${to}` }], structuredContent: { value: result, unit: to } };
      }),
  );

  server.registerTool(
    'list_units',
    {
      title: 'List units',
      description: 'Lists the units `convert` knows, optionally of one dimension.',
      inputSchema: z.object({ dimension: z.enum(['length', 'mass', 'time', 'temperature']).optional().describe('Only units of this dimension') }),
      outputSchema: z.object({ units: z.array(z.object({ id: z.string(), name: z.string(), dimension: z.string() })) }),
      annotations: { readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false },
    },
    ({ dimension }, ctx) =>
      run('list_units', ctx, async () => {
        const units = Object.entries(UNITS)
          .filter(([, unit]) => !dimension || unit.dimension === dimension)
          .map(([id, unit]) => ({ id, name: unit.name, dimension: unit.dimension }));
        return { content: [{ type: 'text', text: units.map((u) => `${u.id} (${u.name}, ${u.dimension})`).join('\n') }], structuredContent: { units } };
      }),
  );

  return server;
}
