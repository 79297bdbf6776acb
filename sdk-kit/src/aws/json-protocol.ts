import type { Got } from 'got';
import { awsError } from './aws-errors.js';
import { signAwsRequest, type AwsCredentials } from './sigv4.js';

export interface AwsJsonService {
  /** `https://redshift-data.eu-west-1.amazonaws.com/` */
  endpoint: string;
  /** The signing name: `redshift-data`. */
  service: string;
  region: string;
  /** The X-Amz-Target prefix: `RedshiftData`. */
  targetPrefix: string;
  credentials: AwsCredentials;
  /** `1.1` (most services) or `1.0`. */
  jsonVersion?: '1.0' | '1.1';
}

/**
 * Calls one operation of an AWS JSON-protocol service (`POST /`, `X-Amz-Target: <prefix>.<operation>`,
 * `application/x-amz-json-1.x`, SigV4) and returns the parsed answer; a failure is thrown as `awsError` maps it.
 */
export async function callAwsJson<T>(http: Got, service: AwsJsonService, operation: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  const body = JSON.stringify(input);
  const headers = signAwsRequest(
    {
      method: 'POST',
      url: service.endpoint,
      headers: { 'content-type': `application/x-amz-json-${service.jsonVersion ?? '1.1'}`, 'x-amz-target': `${service.targetPrefix}.${operation}` },
      body,
      service: service.service,
      region: service.region,
    },
    service.credentials,
  );
  try {
    return await http.post(service.endpoint, { body, headers, ...(signal ? { signal } : {}) }).json<T>();
  } catch (error) {
    throw awsError(error, operation);
  }
}
