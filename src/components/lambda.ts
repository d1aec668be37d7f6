import type { Component } from './types.js';

/** AWS Lambda behind an API Gateway HTTP API: a SAM `template.yaml` naming the built handler. */
export const lambda: Component = {
  id: 'lambda',
  templates: ['lambda'],
  // The project's tests parse template.yaml (CloudFormation tags included) to hold it to the code.
  devDependencies: ['yaml'],
};
