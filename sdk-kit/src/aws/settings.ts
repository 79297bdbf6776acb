import { Type } from '@sinclair/typebox';
import type { AwsCredentials } from './sigv4.js';

/** The settings every AWS connector takes for SigV4: spread them into the connector's settings object. */
export const awsCredentialSettings = {
  region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$', default: 'us-east-1', description: 'AWS region, e.g. eu-central-1.' }),
  accessKeyId: Type.String({ pattern: '^\\S{3,128}$', description: "Access key id of the IAM user or role's credentials." }),
  secretAccessKey: Type.String({ secret: true, minLength: 8, description: 'Secret access key.' }),
  sessionToken: Type.Optional(Type.String({ secret: true, minLength: 16, description: 'Session token, for temporary (STS) credentials only.' })),
};

/** The credentials part of settings built from `awsCredentialSettings`. */
export const awsCredentials = (s: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): AwsCredentials => ({
  accessKeyId: s.accessKeyId,
  secretAccessKey: s.secretAccessKey,
  ...(s.sessionToken ? { sessionToken: s.sessionToken } : {}),
});

/** The residency regions of an AWS region: `eu` and `us` for those regions, the region itself for the others. */
export function awsResidencyRegions(region: string): string[] {
  const area = region.split('-')[0];
  return [area === 'eu' || area === 'us' ? area : region];
}
