import { Type } from '@sinclair/typebox';

/**
 * What connectors to Meta's Graph API share (`@switchyard/sdk-kit/meta-graph`): the host, the version setting,
 * and the mapping of Graph error bodies to the retry contract.
 */
export const GRAPH_HOST = 'graph.facebook.com';

/** The `apiVersion` setting of a Graph API connector. */
export const graphApiVersion = () => Type.String({ pattern: '^v[0-9]+\\.[0-9]+$', default: 'v24.0', description: 'Graph API version, e.g. v24.0.' });

/** `https://graph.facebook.com/{version}/{path}`. */
export const graphUrl = (apiVersion: string, path: string) => `https://${GRAPH_HOST}/${apiVersion}/${path}`;

export * from './graph-errors.js';
