export { signAwsRequest, sha256Hex, amzDate, type AwsCredentials, type AwsRequest } from './sigv4.js';
export { awsError, readAwsError, type AwsErrorDetail } from './aws-errors.js';
export { awsCredentialSettings, awsCredentials, awsResidencyRegions } from './settings.js';
export { callAwsJson, type AwsJsonService } from './json-protocol.js';
