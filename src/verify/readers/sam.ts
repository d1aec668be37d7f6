import { parseDocument, type ScalarTag, type CollectionTag } from 'yaml';
import type { Finding, StaticContext } from '../check.js';
import { lineOfMatch } from './files.js';
import { isRecord } from './records.js';

export const SAM_FILE = 'template.yaml';
/** The generated config's default for REQUEST_TIMEOUT_MS (src/config.ts). */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const MIN_NODE_RUNTIME = 22;

/**
 * CloudFormation short-form intrinsics (`!Ref X`, `!Sub ...`, `!GetAtt A.B`, ...) read as the
 * long form (`{ Ref: X }`), so templates parse with their meaning intact.
 */
const INTRINSICS = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Join',
  'Select',
  'Split',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'ImportValue',
  'Base64',
  'Cidr',
  'GetAZs',
  'Condition',
  'Transform',
];
const CFN_TAGS: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  return [
    {
      tag: `!${name}`,
      resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }),
    } as ScalarTag,
    {
      tag: `!${name}`,
      collection: 'seq',
      resolve: (value: { toJSON(): unknown }) => ({ [key]: value.toJSON() }),
    } as unknown as CollectionTag,
    {
      tag: `!${name}`,
      collection: 'map',
      resolve: (value: { toJSON(): unknown }) => ({ [key]: value.toJSON() }),
    } as unknown as CollectionTag,
  ];
});

export interface SamResource {
  name: string;
  type: string;
  line: number;
  properties: Record<string, unknown>;
}

export interface SamTemplate {
  text: string;
  resources: SamResource[];
  /** Functions with `Globals.Function` merged under their own properties. */
  functions: SamResource[];
}

/** `template.yaml` parsed, or undefined when absent; throws when it does not parse (the check is skipped). */
export async function samTemplate(ctx: StaticContext): Promise<SamTemplate | undefined> {
  const text = await ctx.readFile(SAM_FILE);
  if (text === undefined) return undefined;
  const doc = parseDocument(text, { customTags: CFN_TAGS });
  if (doc.errors.length > 0)
    throw new Error(`${SAM_FILE} does not parse as YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'syntax error'}`);
  const data = doc.toJS() as unknown;
  if (!isRecord(data) || !isRecord(data.Resources)) return { text, resources: [], functions: [] };
  const globals = isRecord(data.Globals) && isRecord(data.Globals.Function) ? data.Globals.Function : {};
  const resources: SamResource[] = [];
  for (const [name, value] of Object.entries(data.Resources)) {
    if (!isRecord(value) || typeof value.Type !== 'string') continue;
    const line = (await ctx.lineOf(SAM_FILE, new RegExp(`^\\s+${name.replace(/[^\w]/g, '')}\\s*:`, 'm'))) ?? 1;
    resources.push({ name, type: value.Type, line, properties: isRecord(value.Properties) ? value.Properties : {} });
  }
  const functions = resources
    .filter((resource) => resource.type === 'AWS::Serverless::Function' || resource.type === 'AWS::Lambda::Function')
    .map((resource) => ({ ...resource, properties: mergeGlobals(globals, resource.properties) }));
  return { text, resources, functions };
}

function mergeGlobals(globals: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...globals, ...own };
  const globalVars =
    isRecord(globals.Environment) && isRecord(globals.Environment.Variables) ? globals.Environment.Variables : {};
  const ownVars = isRecord(own.Environment) && isRecord(own.Environment.Variables) ? own.Environment.Variables : {};
  if (Object.keys(globalVars).length + Object.keys(ownVars).length > 0)
    out.Environment = { Variables: { ...globalVars, ...ownVars } };
  return out;
}

function variables(fn: SamResource): Record<string, unknown> {
  const env = fn.properties.Environment;
  return isRecord(env) && isRecord(env.Variables) ? env.Variables : {};
}

/** Each function runs a Node.js runtime the generated code supports (nodejs22.x or later). */
export function samRuntimeFindings(sam: SamTemplate): Finding[] {
  const out: Finding[] = [];
  for (const fn of sam.functions) {
    if (fn.properties.PackageType === 'Image') continue;
    const runtime = fn.properties.Runtime;
    const major = typeof runtime === 'string' ? /^nodejs(\d+)\.x$/.exec(runtime)?.[1] : undefined;
    if (major === undefined || Number(major) < MIN_NODE_RUNTIME) {
      out.push({
        message: `Function ${fn.name} runs ${typeof runtime === 'string' ? runtime : 'no declared runtime'}: the generated code needs nodejs${MIN_NODE_RUNTIME}.x or later`,
        file: SAM_FILE,
        // The Runtime line itself (own or in Globals), else the function.
        line:
          (typeof runtime === 'string'
            ? lineOfMatch(
                sam.text,
                new RegExp(`^\\s+Runtime:\\s*${runtime.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm'),
              )
            : undefined) ?? fn.line,
        remediation: `Set Runtime: nodejs${MIN_NODE_RUNTIME}.x (or later) on ${fn.name} or in Globals.Function in ${SAM_FILE}.`,
      });
    }
  }
  return out;
}

/**
 * The function's Timeout must exceed the app's own REQUEST_TIMEOUT_MS, so a slow call ends
 * with the app's clean error instead of the platform killing the invocation mid-response.
 */
export function samTimeoutFindings(sam: SamTemplate): Finding[] {
  const out: Finding[] = [];
  for (const fn of sam.functions) {
    const timeout = fn.properties.Timeout;
    const configured = variables(fn).REQUEST_TIMEOUT_MS;
    const requestMs =
      typeof configured === 'number' || (typeof configured === 'string' && /^\d+$/.test(configured))
        ? Number(configured)
        : DEFAULT_REQUEST_TIMEOUT_MS;
    if (typeof timeout !== 'number') continue;
    if (timeout * 1000 <= requestMs) {
      out.push({
        message: `Function ${fn.name} has Timeout ${timeout}s, not above REQUEST_TIMEOUT_MS (${requestMs} ms): Lambda kills slow calls before the app can answer them`,
        file: SAM_FILE,
        line: fn.line,
        remediation: `Raise Timeout on ${fn.name} in ${SAM_FILE} above ${Math.ceil(requestMs / 1000)}s, or lower REQUEST_TIMEOUT_MS in its Environment.Variables.`,
      });
    }
  }
  return out;
}

const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i;

/** Secrets written into the template end up in the stack, its history and every console view. */
export function samSecretFindings(sam: SamTemplate): Finding[] {
  const out: Finding[] = [];
  for (const fn of sam.functions) {
    for (const [name, value] of Object.entries(variables(fn))) {
      if (typeof value !== 'string' || value.trim() === '' || value.includes('{{resolve:')) continue;
      if (SECRET_NAME.test(name) || URL_WITH_PASSWORD.test(value)) {
        out.push({
          message: `Function ${fn.name} sets ${name} to a literal value in ${SAM_FILE}: the secret is stored in the template and the stack`,
          file: SAM_FILE,
          line: fn.line,
          remediation: `Take ${name} from a NoEcho parameter (!Ref) or a dynamic reference ({{resolve:secretsmanager:...}}) in ${SAM_FILE}, never a literal.`,
        });
      }
    }
  }
  return out;
}

/**
 * A serverless function scales out per request, so an in-process limiter bounds nothing:
 * throttling must be set on the API (stage or route throttling) or as reserved concurrency.
 */
export function samThrottlingFindings(sam: SamTemplate): Finding[] {
  if (sam.functions.length === 0) return [];
  const throttledApi = sam.resources.some((resource) => {
    const text = JSON.stringify(resource.properties);
    return (
      (resource.type === 'AWS::Serverless::HttpApi' ||
        resource.type === 'AWS::Serverless::Api' ||
        resource.type.startsWith('AWS::ApiGateway')) &&
      /Throttling(?:Burst|Rate)Limit/.test(text)
    );
  });
  const reserved = sam.functions.every(
    (fn) =>
      typeof fn.properties.ReservedConcurrentExecutions === 'number' ||
      isRecord(fn.properties.ReservedConcurrentExecutions),
  );
  if (throttledApi || reserved) return [];
  const first = sam.functions[0] as SamResource;
  return [
    {
      message: `${SAM_FILE} sets no API throttling (ThrottlingBurstLimit/ThrottlingRateLimit) and no ReservedConcurrentExecutions: every instance has its own in-process limit, so nothing bounds the total`,
      file: SAM_FILE,
      line: first.line,
      remediation: `Add DefaultRouteSettings with ThrottlingBurstLimit and ThrottlingRateLimit to the HttpApi (or MethodSettings to the Api) in ${SAM_FILE}, or ReservedConcurrentExecutions on ${first.name}.`,
    },
  ];
}

/** Lambda log groups keep logs forever unless a retention is set: cost, and personal data kept longer than needed. */
export function samLogRetentionFindings(sam: SamTemplate): Finding[] {
  if (sam.functions.length === 0) return [];
  const retained = sam.resources.some(
    (resource) => resource.type === 'AWS::Logs::LogGroup' && resource.properties.RetentionInDays !== undefined,
  );
  if (retained) return [];
  const first = sam.functions[0] as SamResource;
  return [
    {
      message: `${SAM_FILE} declares no AWS::Logs::LogGroup with RetentionInDays: the function's logs are kept forever`,
      file: SAM_FILE,
      line: first.line,
      remediation: `Add an AWS::Logs::LogGroup named /aws/lambda/<function> with RetentionInDays (e.g. 30) in ${SAM_FILE}, and point the function's LoggingConfig.LogGroup at it.`,
    },
  ];
}
