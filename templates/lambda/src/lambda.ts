import { createLambdaHandler } from './serverless/lambda.js';

/**
 * The AWS Lambda entry point: `Handler: dist/lambda.handler` in template.yaml (after
 * `npm run build`). Created when the module loads, so one function instance builds the app
 * once and reuses it for every invocation it serves.
 */
export const handler = createLambdaHandler(process.env);
