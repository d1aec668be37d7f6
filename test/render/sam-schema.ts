/**
 * A strict JSON Schema for the SAM templates this generator writes: exactly the resource types
 * and properties it uses, with every unknown property refused (a misspelled `Timeuot` fails
 * here, where CloudFormation would only fail at deploy time). No published package ships the
 * SAM schema, so it is written out here from the SAM and CloudFormation references.
 */
const ref = {
  type: 'object',
  required: ['Ref'],
  properties: { Ref: { type: 'string', minLength: 1 } },
  additionalProperties: false,
};
const sub = {
  type: 'object',
  required: ['Fn::Sub'],
  properties: {
    'Fn::Sub': {
      anyOf: [
        { type: 'string' },
        {
          type: 'array',
          items: [{ type: 'string' }, { type: 'object' }],
          additionalItems: false,
          minItems: 2,
          maxItems: 2,
        },
      ],
    },
  },
  additionalProperties: false,
};
const getAtt = {
  type: 'object',
  required: ['Fn::GetAtt'],
  properties: { 'Fn::GetAtt': { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 2, maxItems: 2 } },
  additionalProperties: false,
};
const text = { anyOf: [{ type: 'string' }, ref, sub, getAtt] };
const integer = (minimum: number, maximum: number) => ({ anyOf: [{ type: 'integer', minimum, maximum }, ref] });
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const resource = (type: string, properties: Record<string, unknown>, required: string[] = []) =>
  strict({ Type: { const: type }, Properties: strict(properties, required) }, ['Type', 'Properties']);

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const httpApi = resource('AWS::Serverless::HttpApi', {
  Description: text,
  DefaultRouteSettings: strict({
    ThrottlingRateLimit: { anyOf: [{ type: 'number', minimum: 0 }, ref] },
    ThrottlingBurstLimit: integer(0, 5000),
  }),
  AccessLogSettings: strict({ DestinationArn: text, Format: text }, ['DestinationArn', 'Format']),
});

const httpApiEvent = strict(
  {
    Type: { const: 'HttpApi' },
    Properties: strict(
      {
        ApiId: ref,
        Path: { type: 'string', pattern: '^/' },
        Method: {
          enum: [
            'ANY',
            'GET',
            'POST',
            'DELETE',
            'OPTIONS',
            'PUT',
            'PATCH',
            'HEAD',
            'any',
            'get',
            'post',
            'delete',
            'options',
            'put',
            'patch',
            'head',
          ],
        },
      },
      ['ApiId', 'Path', 'Method'],
    ),
  },
  ['Type', 'Properties'],
);

const fn = resource(
  'AWS::Serverless::Function',
  {
    Description: text,
    CodeUri: { type: 'string', minLength: 1 },
    Handler: { type: 'string', pattern: '^[^\\s]+\\.[A-Za-z_$][\\w$]*$' },
    Runtime: { enum: ['nodejs22.x', 'nodejs24.x'] },
    Architectures: { type: 'array', items: { enum: ['arm64', 'x86_64'] }, minItems: 1, maxItems: 1 },
    MemorySize: integer(128, 10240),
    Timeout: integer(1, 900),
    ReservedConcurrentExecutions: integer(0, 100000),
    LoggingConfig: strict({ LogGroup: text, LogFormat: { enum: ['Text', 'JSON'] } }),
    Environment: strict(
      {
        Variables: {
          type: 'object',
          propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
          additionalProperties: text,
        },
      },
      ['Variables'],
    ),
    Events: { type: 'object', additionalProperties: httpApiEvent, minProperties: 1 },
  },
  ['CodeUri', 'Handler', 'Runtime'],
);

const logGroup = resource('AWS::Logs::LogGroup', {
  LogGroupName: text,
  RetentionInDays: { anyOf: [{ enum: LOG_RETENTION_DAYS }, ref] },
});

const scalar = { type: ['string', 'number'] };
const parameter = strict(
  {
    Type: { enum: ['String', 'Number'] },
    Default: scalar,
    AllowedValues: { type: 'array', items: scalar, minItems: 1 },
    MinValue: { type: 'number' },
    MaxValue: { type: 'number' },
    NoEcho: { type: 'boolean' },
    Description: { type: 'string', maxLength: 4000 },
  },
  ['Type'],
);

export const SAM_TEMPLATE_SCHEMA = strict(
  {
    AWSTemplateFormatVersion: { const: '2010-09-09' },
    Transform: { const: 'AWS::Serverless-2016-10-31' },
    Description: { type: 'string', maxLength: 1024 },
    Parameters: { type: 'object', propertyNames: { pattern: '^[A-Za-z0-9]+$' }, additionalProperties: parameter },
    Resources: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9]+$' },
      additionalProperties: { oneOf: [httpApi, fn, logGroup] },
      minProperties: 1,
    },
    Outputs: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9]+$' },
      additionalProperties: strict({ Description: { type: 'string' }, Value: text }, ['Value']),
    },
  },
  ['AWSTemplateFormatVersion', 'Transform', 'Resources'],
);

/** Pseudo parameters CloudFormation resolves in every template. */
export const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
];
