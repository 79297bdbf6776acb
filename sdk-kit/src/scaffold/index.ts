/** The connector scaffolder: `@switchyard/sdk-kit/scaffold`, and the `switchyard-connector` bin. */
export { scaffoldConnector, describeScaffold, defaultDirectory, sdkKitVersion, type ScaffoldOptions, type ScaffoldResult } from './scaffold-connector.js';
