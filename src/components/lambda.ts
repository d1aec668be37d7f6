import type { Component } from './types.js';

/**
 * AWS Lambda behind an API Gateway HTTP API: the handler (`src/lambda.ts` over the adapter in
 * `src/serverless/lambda.ts`), its tests with recorded events, and a SAM `template.yaml` naming
 * the built handler.
 */
export const lambda: Component = {
  id: 'lambda',
  templates: ['lambda'],
  // The project's tests parse template.yaml (CloudFormation tags included) to hold it to the code.
  devDependencies: ['yaml'],
  layout: {
    'src/lambda.ts': 'the Lambda handler',
    'src/serverless/lambda.ts': 'the Lambda adapter: API Gateway HTTP API and Function URL events',
    'test/fixtures/': 'recorded Lambda events the handler tests replay',
    'template.yaml': 'the AWS SAM template: HTTP API with throttling, function, log groups',
    'samconfig.toml': 'sam deploy settings',
  },
};
