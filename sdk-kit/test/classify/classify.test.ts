import { classifyError, PermanentError } from '../../src/index.js';
// The built kit is a second copy of the module graph, as a connector package installed on its own carries.
import * as otherCopy from '../../dist/index.js';

test('an error class from another copy of the kit keeps its retry contract', () => {
  expect(otherCopy.PermanentError).not.toBe(PermanentError);
  expect(classifyError(new otherCopy.PermanentError('bad payload', { code: 'BAD_EVENT', httpStatus: 400 }))).toEqual({
    status: 'permanent',
    code: 'BAD_EVENT',
    message: 'bad payload',
    httpStatus: 400,
  });
  expect(classifyError(new otherCopy.RateLimitedError('slow down', { code: 'RATE_LIMITED', retryAfterMs: 5000 }))).toMatchObject({
    status: 'rate_limited',
    retryAfterMs: 5000,
  });
  expect(classifyError(new Error('wrapped', { cause: new otherCopy.AuthenticationError('token revoked', { code: 'AUTH' }) }))).toMatchObject({
    status: 'authentication',
    code: 'AUTH',
  });
});

test('an object that merely has a toResult method is not taken for a connector error', () => {
  expect(classifyError({ toResult: () => ({ status: 'ok' }), outcome: 'ok' })).toMatchObject({ status: 'retryable', code: 'CONNECTOR_THREW' });
});
