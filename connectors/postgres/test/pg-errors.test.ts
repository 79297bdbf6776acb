import { toConnectorError } from '../src/pg-errors.js';

const outcome = (code: string) => (toConnectorError(Object.assign(new Error(`failure ${code}`), { code }), 'test') as { outcome?: string }).outcome;

test.each([
  ['08006', 'retryable'],
  ['08001', 'retryable'],
  ['53300', 'retryable'],
  ['57P03', 'retryable'],
  ['40P01', 'retryable'],
  ['28P01', 'authentication'],
  ['28000', 'authentication'],
  ['3D000', 'authentication'],
  ['42601', 'permanent'],
  ['42501', 'permanent'],
  ['22P02', 'permanent'],
])('SQLSTATE %s is %s', (code, expected) => {
  expect(outcome(code)).toBe(expected);
});

test('a dropped connection without a SQLSTATE is retryable', () => {
  expect((toConnectorError(new Error('Connection terminated unexpectedly'), 'test') as { outcome?: string }).outcome).toBe('retryable');
});
