export { scaffoldConnector, sdkKitVersion, type ScaffoldOptions } from './scaffold-connector.js';
