import { AuthenticationError, PermanentError, RateLimitedError, RetryableError, classifyError, errorForHttpStatus, parseRetryAfter } from '@switchyard/sdk-kit';
import { backoffDelay, decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/index.js';

describe('retry classification', () => {
  it.each([
    [408, 'retryable'],
    [423, 'retryable'],
    [429, 'rate_limited'],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
    [501, 'permanent'],
    [400, 'permanent'],
    [404, 'permanent'],
    [422, 'permanent'],
    [401, 'authentication'],
    [403, 'authentication'],
  ])('HTTP %i is %s', (status, outcome) => {
    expect(errorForHttpStatus(status)?.outcome).toBe(outcome);
  });

  it('treats 2xx and 3xx as no error', () => {
    expect(errorForHttpStatus(204)).toBeUndefined();
    expect(errorForHttpStatus(302)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(errorForHttpStatus(429, { 'retry-after': '3' })?.retryAfterMs).toBe(3000);
  });

  it('classifies thrown errors: declared classes, HTTP responses, network failures and timeouts', () => {
    expect(classifyError(new PermanentError('bad', { code: 'BAD' }))).toMatchObject({ status: 'permanent', code: 'BAD' });
    expect(classifyError(new AuthenticationError('no', { code: 'AUTH' }))).toMatchObject({ status: 'authentication' });
    expect(classifyError(new RateLimitedError('slow', { code: 'RL', retryAfterMs: 10 }))).toMatchObject({ status: 'rate_limited', retryAfterMs: 10 });
    expect(classifyError(new RetryableError('later', { code: 'R' }))).toMatchObject({ status: 'retryable' });
    expect(classifyError({ name: 'HTTPError', response: { statusCode: 503, headers: { 'retry-after': '2' }, body: 'busy' } })).toMatchObject({
      status: 'retryable',
      code: 'HTTP_503',
      retryAfterMs: 2000,
      httpStatus: 503,
    });
    expect(classifyError({ name: 'RequestError', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })).toMatchObject({
      status: 'retryable',
      code: 'NETWORK_ECONNREFUSED',
    });
    expect(classifyError({ name: 'TimeoutError', code: 'ETIMEDOUT', message: 'Timeout awaiting request' })).toMatchObject({
      status: 'retryable',
      code: 'TIMEOUT',
    });
    const wrapped = Object.assign(new Error('wrapped'), { code: 'ERR_GOT_REQUEST_ERROR', cause: new PermanentError('denied', { code: 'EGRESS_DENIED' }) });
    expect(classifyError(wrapped)).toMatchObject({ status: 'permanent', code: 'EGRESS_DENIED' });
    expect(classifyError(new TypeError('x is undefined'))).toMatchObject({ status: 'retryable', code: 'CONNECTOR_THREW' });
  });
});

describe('retry policy', () => {
  const policy: RetryPolicy = { maxAttempts: 4, maxAgeMs: 60_000, baseDelayMs: 100, maxDelayMs: 1000 };
  const now = 1_000_000;

  it('backs off exponentially with full jitter, capped at the maximum delay', () => {
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(399);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(4, policy)));
    expect(spread.size).toBeGreaterThan(10);
  });

  it('honours Retry-After over the backoff', () => {
    const decision = decideRetry({ status: 'retryable', retryAfterMs: 5000 }, { attempts: 0, enqueuedAt: now }, policy, now);
    expect(decision).toEqual({ action: 'retry', attempts: 1, nextAttemptAt: now + 5000 });
  });

  it('does not count a rate limit as an attempt', () => {
    const decision = decideRetry({ status: 'rate_limited' }, { attempts: 3, enqueuedAt: now }, policy, now, () => 0.5);
    expect(decision).toMatchObject({ action: 'retry', attempts: 3 });
  });

  it('dead-letters when attempts or age run out, and at once for permanent and authentication failures', () => {
    expect(decideRetry({ status: 'retryable' }, { attempts: 3, enqueuedAt: now }, policy, now)).toMatchObject({ action: 'dead-letter', attempts: 4 });
    expect(decideRetry({ status: 'retryable', retryAfterMs: 120_000 }, { attempts: 0, enqueuedAt: now }, policy, now)).toMatchObject({ action: 'dead-letter' });
    expect(decideRetry({ status: 'rate_limited' }, { attempts: 0, enqueuedAt: now - 59_999 }, policy, now, () => 0.9)).toMatchObject({ action: 'dead-letter' });
    expect(decideRetry({ status: 'permanent' }, { attempts: 0, enqueuedAt: now }, policy, now)).toMatchObject({ action: 'dead-letter', attempts: 1 });
    expect(decideRetry({ status: 'authentication' }, { attempts: 0, enqueuedAt: now }, policy, now)).toMatchObject({ action: 'dead-letter' });
    expect(decideRetry({ status: 'ok' }, { attempts: 0, enqueuedAt: now }, DEFAULT_RETRY_POLICY, now)).toEqual({ action: 'complete' });
  });
});
