/** Documentation tooling for connector authors and operators: `@switchyard/sdk-kit/docs`. */
export { renderConnectorDocs } from './render-docs.js';
