import type { SegmentSourceConfig } from '../../config/config-types.js';

/**
 * The answer of RudderStack's control plane to `GET /sourceConfig/?writeKey=…`, with what the JS SDK v3 checks
 * (`source.id`, `source.config`, `source.destinations` as an array, `source.enabled`): no device-mode destinations,
 * since every destination runs behind the router, and the SDK's own error and metrics reporting off.
 */
export function rudderstackSourceConfig(source: SegmentSourceConfig) {
  return {
    isHosted: false,
    source: {
      id: source.id,
      name: source.id,
      writeKey: source.writeKey,
      enabled: true,
      workspaceId: 'switchyard',
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}
