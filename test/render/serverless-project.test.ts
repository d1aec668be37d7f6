import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, type Tags, YAMLSeq } from 'yaml';
import type { DeployTarget } from '../../src/core/ids.js';
import { generatedNode } from '../../src/core/versions.js';
import { PSEUDO_PARAMETERS, SAM_TEMPLATE_SCHEMA } from './sam-schema.js';
import { renderProject } from './rendered.js';

const generate = (deploy: DeployTarget[]) =>
  renderProject({
    name: 'fn-app',
    pattern: 'serverless',
    store: 'memory',
    deploy,
    authMode: 'jwt',
    sessionMode: 'stateless',
    protocol: 'dual',
  });

/** CloudFormation's short-form tags, read as the long forms (`!Ref X` -> `{ Ref: X }`). */
const CFN_TAGS: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
  { tag: '!Sub', collection: 'seq', resolve: (seq) => ({ 'Fn::Sub': (seq as YAMLSeq).toJSON() }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
];
const parseTemplate = (source: string) => parse(source, { customTags: CFN_TAGS }) as Record<string, any>;

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(SAM_TEMPLATE_SCHEMA);
const schemaErrors = (template: unknown) =>
  validate(template) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

/** Names used by Ref, GetAtt and ${...} in Sub, anywhere in the template. */
function references(node: unknown, found: { refs: string[]; atts: string[][] } = { refs: [], atts: [] }) {
  if (Array.isArray(node)) for (const item of node) references(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref') found.refs.push(value as string);
      else if (key === 'Fn::GetAtt') found.atts.push(value as string[]);
      else if (key === 'Fn::Sub') {
        const source = Array.isArray(value) ? (value[0] as string) : (value as string);
        for (const [, name] of source.matchAll(/\$\{([^}!]+)\}/g)) {
          if (name!.includes('.')) found.atts.push(name!.split('.'));
          else found.refs.push(name!);
        }
      } else references(value, found);
    }
  }
  return found;
}

describe('generated serverless project: SAM template', () => {
  const { file } = generate(['lambda', 'vercel']);
  const template = parseTemplate(file('template.yaml'));

  it('is valid against the strict SAM schema', () => {
    expect(schemaErrors(template)).toEqual([]);
  });

  it('is refused by the schema when a property is misspelled, a runtime is too old or a resource type unknown', () => {
    const broken = (mutate: (t: Record<string, any>) => void) => {
      const copy = structuredClone(template);
      mutate(copy);
      return schemaErrors(copy);
    };
    expect(broken((t) => (t.Resources.McpFunction.Properties.Timeuot = 10))).not.toEqual([]);
    expect(broken((t) => (t.Resources.McpFunction.Properties.Runtime = 'nodejs18.x'))).not.toEqual([]);
    expect(broken((t) => (t.Resources.McpHttpApi.Type = 'AWS::Serverless::Api'))).not.toEqual([]);
    expect(broken((t) => (t.Resources.McpFunctionLogs.Properties.RetentionInDays = 10))).not.toEqual([]);
  });

  it('refers only to parameters, resources and pseudo parameters that exist', () => {
    const { refs, atts } = references(template.Resources);
    const outputs = references(template.Outputs);
    const known = new Set([
      ...Object.keys(template.Parameters),
      ...Object.keys(template.Resources),
      ...PSEUDO_PARAMETERS,
    ]);
    for (const name of [...refs, ...outputs.refs]) expect(known.has(name), `!Ref ${name}`).toBe(true);
    for (const [name, attribute] of [...atts, ...outputs.atts]) {
      expect(template.Resources[name!]?.Type, `!GetAtt ${name}.${attribute}`).toBe('AWS::Logs::LogGroup');
      expect(attribute).toBe('Arn');
    }
    expect(refs.length).toBeGreaterThan(10);
  });

  it('keeps parameter defaults inside their own limits', () => {
    for (const [name, parameter] of Object.entries<Record<string, any>>(template.Parameters)) {
      if (parameter.AllowedValues) expect(parameter.AllowedValues, name).toContain(parameter.Default);
      if (parameter.MinValue !== undefined) expect(parameter.Default, name).toBeGreaterThanOrEqual(parameter.MinValue);
      if (parameter.MaxValue !== undefined) expect(parameter.Default, name).toBeLessThanOrEqual(parameter.MaxValue);
    }
    expect(template.Parameters.AuthMode.Default).toBe('jwt');
  });

  it('names the handler of src/lambda.ts as built by npm run build, on the Node line the project targets', () => {
    const fn = template.Resources.McpFunction.Properties;
    expect(fn.Handler).toBe('dist/lambda.handler');
    expect(file('src/lambda.ts')).toMatch(/export const handler = /);
    expect(file('tsconfig.build.json')).toMatch(/"outDir": "dist"/);
    expect(fn.Runtime).toBe(`nodejs${generatedNode.engines.match(/\d+/)![0]}.x`);
  });

  it('bounds tool calls below the function timeout and keeps secrets out of the file', () => {
    const fn = template.Resources.McpFunction.Properties;
    const env = fn.Environment.Variables;
    expect(fn.Timeout).toEqual({ Ref: 'FunctionTimeoutSeconds' });
    expect(env.FUNCTION_TIMEOUT_SECONDS).toEqual({ Ref: 'FunctionTimeoutSeconds' });
    const functionMs = template.Parameters.FunctionTimeoutSeconds.Default * 1000;
    expect(template.Parameters.RequestTimeoutMs.Default).toBeLessThan(functionMs - 1000);
    expect(env.API_KEYS).toEqual({ Ref: 'ApiKeys' });
    expect(template.Parameters.ApiKeys).toMatchObject({ NoEcho: true, Default: '' });
    expect(env.SESSION_MODE).toBe('stateless');
  });

  it('packs the built handler: .npmignore keeps dist/ and drops sources and dependencies', () => {
    const ignored = file('.npmignore')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules/', 'src/', 'test/']));
    expect(ignored.some((line) => /^\/?dist/.test(line))).toBe(false);
  });
});

describe('generated serverless project: files per deploy target', () => {
  it('carries the Lambda files only with lambda and the Vercel files only with vercel', () => {
    const lambdaOnly = generate(['lambda']);
    const vercelOnly = generate(['vercel']);
    expect([...lambdaOnly.files.keys()]).toEqual(
      expect.arrayContaining([
        'template.yaml',
        'samconfig.toml',
        '.npmignore',
        'test/sam-template.test.ts',
        'src/lambda.ts',
      ]),
    );
    expect(lambdaOnly.files.has('vercel.json')).toBe(false);
    expect(lambdaOnly.files.has('api/mcp.ts')).toBe(false);
    expect([...vercelOnly.files.keys()]).toEqual(
      expect.arrayContaining(['vercel.json', 'api/mcp.ts', 'public/.gitkeep', 'test/vercel.test.ts']),
    );
    expect(vercelOnly.files.has('template.yaml')).toBe(false);
    // Each platform's adapter and its tests come with its target, not with the pattern.
    for (const path of ['src/lambda.ts', 'src/serverless/lambda.ts', 'test/lambda.test.ts', 'test/lambda-helpers.ts'])
      expect(vercelOnly.files.has(path), path).toBe(false);
    expect([...vercelOnly.files.keys()].filter((path) => path.startsWith('test/fixtures/'))).toEqual([]);
    for (const path of ['src/serverless/vercel.ts', 'test/vercel.test.ts'])
      expect(lambdaOnly.files.has(path), path).toBe(false);
    expect([...lambdaOnly.files.keys()]).toEqual(
      expect.arrayContaining([
        'src/serverless/lambda.ts',
        'test/lambda.test.ts',
        'test/fixtures/http-api-initialize.json',
      ]),
    );
    expect(vercelOnly.blueprint.devDependencies.yaml).toBeUndefined();
    expect(lambdaOnly.blueprint.devDependencies.yaml).toBeDefined();
  });

  it('shares one app: every runtime entry builds on createApp, and the Node entry stays for local use', () => {
    const { file, blueprint } = generate(['lambda', 'vercel']);
    expect(file('src/serverless/app.ts')).toMatch(/createApp\(\{[\s\S]*jsonResponse: true/);
    expect(file('src/serverless/lambda.ts')).toMatch(/from 'hono\/aws-lambda'/);
    expect(file('src/serverless/vercel.ts')).toMatch(/from 'hono\/vercel'/);
    expect(file('api/mcp.ts')).toMatch(/from '\.\.\/src\/serverless\/vercel\.js'/);
    expect(file('src/index.ts')).toMatch(/await start\(config/);
    expect(blueprint.manifest).toMatchObject({
      pattern: 'serverless',
      deploy: ['lambda', 'vercel'],
      sessionMode: 'stateless',
      protocol: 'dual',
    });
    expect(Object.keys(blueprint.dependencies)).not.toContain('@types/aws-lambda');
  });

  it('gives vercel.json a maxDuration equal to the limit the code assumes', () => {
    const { file } = generate(['vercel']);
    const config = JSON.parse(file('vercel.json')) as { functions: Record<string, { maxDuration: number }> };
    const assumed = Number(file('src/serverless/vercel.ts').match(/VERCEL_MAX_DURATION_SECONDS = (\d+)/)![1]);
    expect(config.functions['api/mcp.ts']!.maxDuration).toBe(assumed);
  });
});

describe('generated serverless project: README', () => {
  it('states the limitations, how to split long work, and how to deploy to each chosen target', () => {
    const both = generate(['lambda', 'vercel']).file('README.md');
    for (const limitation of ['Cold starts', 'No persistent connections', 'Execution time limits', 'Stateless'])
      expect(both).toContain(limitation);
    expect(both).toMatch(/### Long work[\s\S]*job id/);
    expect(both).toMatch(/sam deploy/);
    expect(both).toMatch(/vercel deploy/);
    const lambdaOnly = generate(['lambda']).file('README.md');
    expect(lambdaOnly).toMatch(/sam deploy/);
    expect(lambdaOnly).not.toMatch(/vercel deploy/);
  });

  it('lists FUNCTION_TIMEOUT_SECONDS in .env.example', () => {
    expect(generate(['lambda']).file('.env.example')).toMatch(/^FUNCTION_TIMEOUT_SECONDS=$/m);
  });
});
