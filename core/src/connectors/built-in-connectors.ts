/** Short names a config may use for connectors; any other short name `x` means `@switchyard/connector-x`. */
export const BUILT_IN_CONNECTORS: Record<string, string> = {
  webhook: '@switchyard/connector-webhook',
  file: '@switchyard/connector-file',
};
