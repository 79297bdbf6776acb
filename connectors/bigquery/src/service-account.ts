import {
  forgetServiceAccountTokens,
  GOOGLE_TOKEN_URL,
  parseServiceAccountKey as parseKey,
  serviceAccountAccessToken,
  signServiceAccountAssertion,
  type PerformContext,
  type ServiceAccountKey,
} from '@switchyard/sdk-kit';

export type { ServiceAccountKey } from '@switchyard/sdk-kit';

/** The connection's egress-fenced HTTP client (got). */
type Got = PerformContext<unknown, unknown>['http'];

export const TOKEN_URL = GOOGLE_TOKEN_URL;
export const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';
const OPTIONS = { codePrefix: 'BIGQUERY' };

/** Reads the service-account JSON key from settings; the error names the setting, never the key. */
export const parseServiceAccountKey = (json: string): ServiceAccountKey => parseKey(json, OPTIONS);

/** An RS256-signed JWT asserting the service account for BigQuery. */
export const signAssertion = (key: ServiceAccountKey, nowSeconds?: number): string => signServiceAccountAssertion(key, BIGQUERY_SCOPE, nowSeconds);

/** A valid BigQuery access token for the key, from the cache while it lasts. */
export const accessToken = (http: Got, key: ServiceAccountKey): Promise<string> => serviceAccountAccessToken(http, key, BIGQUERY_SCOPE, OPTIONS);

/** Forgets cached tokens (tests; after a 401 the next call exchanges again). */
export const forgetTokens = (): void => forgetServiceAccountTokens();
