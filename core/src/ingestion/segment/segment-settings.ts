/**
 * The settings analytics.js (`@segment/analytics-next`) loads from `{cdnURL}/v1/projects/{writeKey}/settings`
 * before it sends anything, in the SDK's `CDNSettings` shape: the `Segment.io` integration alone (no device-mode
 * destinations), with `apiHost` and `protocol` pointing at this router, so the SDK posts to `{base}/v1/t`, `/v1/i`, ….
 * Remote metrics are off (`sampleRate: 0`): the router has no `/v1/m` to take them.
 */
export function segmentSettings(writeKey: string, base: URL) {
  const basePath = base.pathname.replace(/\/+$/, '');
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${base.host}${basePath}/v1`,
        protocol: base.protocol.replace(/:$/, ''),
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
      },
    },
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}
