import { httpErrorResponse, vendorHttpError } from '../../src/index.js';

const httpError = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP ${statusCode}`), { response: { statusCode, headers, body } });
const meta = (body: unknown) => (body as { meta?: { error?: string } }).meta?.error;

test("classifies by status and carries the vendor's reason and Retry-After", () => {
  expect(vendorHttpError(httpError(400, '{"meta":{"error":"name cannot be blank"}}'), 'Acme /events', meta)).toMatchObject({
    code: 'HTTP_400',
    httpStatus: 400,
    message: 'destination answered HTTP 400: Acme /events: name cannot be blank',
  });
  expect(vendorHttpError(httpError(429, '', { 'retry-after': '4' }), 'Acme', meta)).toMatchObject({ code: 'HTTP_429', retryAfterMs: 4000 });
  expect(vendorHttpError(httpError(401, '<html>'), 'Acme', meta)).toMatchObject({ httpStatus: 401, message: 'destination answered HTTP 401: Acme' });
});

test('a reason reader that throws, and errors without a response, are harmless', () => {
  const network = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  expect(vendorHttpError(network, 'Acme', meta)).toBe(network);
  expect(
    vendorHttpError(httpError(503, '{}'), 'Acme', () => {
      throw new Error('unexpected shape');
    }),
  ).toMatchObject({ httpStatus: 503 });
  expect(httpErrorResponse(httpError(418, '{"a":1}'))).toEqual({ status: 418, headers: {}, body: { a: 1 } });
});
