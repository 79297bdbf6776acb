import { checkConformance } from '../../src/testing/index.js';
import acme from '../fixtures/good-connector.js';
test('timing', async () => {
  const t = Date.now();
  await checkConformance(acme, { settings: { apiKey: 'acme-key-0123456789' } });
  console.log('T conformance', Date.now() - t, (globalThis as any).__T);
});
