import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, type Tags, YAMLSeq } from 'yaml';
import { toolBudgetMs } from '../src/serverless/config.js';
import type { LambdaHandler } from '../src/serverless/lambda.js';
import { answerOf, fixture, lambdaContext } from './lambda-helpers.js';

/** CloudFormation's short forms, read as the long forms they stand for. */
const CFN_TAGS: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  { tag: '!Sub', collection: 'seq', resolve: (seq) => ({ 'Fn::Sub': (seq as YAMLSeq).toJSON() }) },
];

interface Parameter {
  Type: string;
  Default?: string | number;
  NoEcho?: boolean;
  MinValue?: number;
  MaxValue?: number;
}
interface Template {
  Parameters: Record<string, Parameter>;
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
}

const template = parse(readFileSync(new URL('../template.yaml', import.meta.url), 'utf8'), { customTags: CFN_TAGS }) as Template;
const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Serverless::Function');
const fn = functions[0]!.Properties;
const env = fn.Environment.Variables as Record<string, unknown>;
const parameter = (value: unknown): Parameter => {
  const name = (value as { Ref?: string }).Ref;
  expect(name, `expected a !Ref to a parameter, got ${JSON.stringify(value)}`).toBeDefined();
  expect(template.Parameters[name!], `parameter ${name}`).toBeDefined();
  return template.Parameters[name!]!;
};

describe('template.yaml', () => {
  it('has one function, on Node 22 or newer, as the project\'s engines require', () => {
    expect(functions).toHaveLength(1);
    expect(fn.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
  });

  it('names as Handler a file `npm run build` writes from a source that exports that function', () => {
    const [file, name] = [fn.Handler.slice(0, fn.Handler.lastIndexOf('.')), fn.Handler.slice(fn.Handler.lastIndexOf('.') + 1)];
    expect(file).toMatch(/^dist\//);
    const source = new URL(`../${file.replace(/^dist\//, 'src/')}.ts`, import.meta.url);
    expect(existsSync(source), `${source.pathname} is missing`).toBe(true);
    expect(readFileSync(source, 'utf8')).toMatch(new RegExp(`export const ${name}\\b`));
  });

  it('ends every tool call before the function times out', () => {
    const timeout = parameter(fn.Timeout);
    const requestTimeout = parameter(env.REQUEST_TIMEOUT_MS);
    expect(env.FUNCTION_TIMEOUT_SECONDS).toEqual(fn.Timeout);
    expect(Number(requestTimeout.Default)).toBeLessThanOrEqual(toolBudgetMs(Number(timeout.Default) * 1000));
    // API Gateway HTTP APIs wait 30 seconds for an integration at most.
    expect(timeout.MaxValue).toBeLessThanOrEqual(30);
  });

  it('passes only variables the app reads', () => {
    const known = new Set([...readFileSync(new URL('../.env.example', import.meta.url), 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    for (const name of Object.keys(env)) expect(known.has(name), `${name} is not a variable of .env.example`).toBe(true);
  });

  it('takes secrets from NoEcho parameters, never from the file', () => {
    const apiKeys = parameter(env.API_KEYS);
    expect(apiKeys.NoEcho).toBe(true);
    expect(apiKeys.Default).toBe('');
    expect(parameter(env.AUTH_MODE).Default).not.toBe('none');
  });

  it('throttles the API, and keeps logs for a bounded time', () => {
    const api = Object.values(template.Resources).find((r) => r.Type === 'AWS::Serverless::HttpApi')!.Properties;
    expect(api.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: expect.anything(), ThrottlingBurstLimit: expect.anything() });
    const logGroup = template.Resources[fn.LoggingConfig.LogGroup.Ref]!;
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(parameter(logGroup.Properties.RetentionInDays).Default).toBeGreaterThan(0);
  });
});

describe('the handler named in template.yaml', () => {
  let handler: LambdaHandler;
  beforeAll(async () => {
    for (const [name, value] of Object.entries({ AUTH_MODE: 'none', FUNCTION_TIMEOUT_SECONDS: '29', LOG_LEVEL: 'silent' })) vi.stubEnv(name, value);
    const source = `../${fn.Handler.slice(0, fn.Handler.lastIndexOf('.')).replace(/^dist\//, 'src/')}.js`;
    const module = (await import(source)) as Record<string, LambdaHandler>;
    handler = module[fn.Handler.slice(fn.Handler.lastIndexOf('.') + 1)]!;
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('answers an API Gateway event', async () => {
    expect(typeof handler).toBe('function');
    const answer = answerOf(await handler(fixture('http-api-tools-call'), lambdaContext()));
    expect(answer.status).toBe(200);
    expect(answer.json.result.structuredContent).toEqual({ sum: 42 });
  });
});
