/**
 * nock and @jest/globals are optional peer dependencies of `@switchyard/sdk-kit/testing`: connectors need them
 * only in their tests, so they are the connector's dev dependencies, never runtime ones of the kit.
 */
export function isMissing(name: string, error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ERR_MODULE_NOT_FOUND' && String(message).includes(`'${name}'`);
}

/** The error for a missing optional peer, saying what to install. */
export function missingPeerError(name: string, purpose: string, cause: unknown): Error {
  return new Error(
    `@switchyard/sdk-kit/testing needs ${name} ${purpose}: add it to your devDependencies ` + `(npm install --save-dev ${name}), then run the tests again`,
    { cause },
  );
}
