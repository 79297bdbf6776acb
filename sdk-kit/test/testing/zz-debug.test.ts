import { buildTrack, buildCommerce, createTestHarness, networkError } from '../../src/testing/index.js';
import acme from '../fixtures/good-connector.js';
const settings = { apiKey: 'acme-key-0123456789' };
test('timing', async () => {
  const seq: Array<[string, () => any]> = [
    ['503', () => ({ status: 503, body: { a: 1 } })],
    ['ETIMEDOUT', () => { throw networkError('ETIMEDOUT'); }],
    ['500', () => ({ status: 500, body: { a: 1 } })],
    ['ECONNRESET', () => { throw networkError('ECONNRESET'); }],
  ];
  for (const [name, respond] of seq) {
    const t = Date.now();
    const r = await createTestHarness(acme, { settings, respond }).run([buildTrack(), buildCommerce()]);
    console.log('T', name, Date.now() - t, r.results[0]?.status, r.results[0]?.code);
  }
});
