import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/index.js';
import { until } from '../helpers/deliveries.js';
import { HttpSink } from '../helpers/http-sink.js';
import { RouterFixture } from '../helpers/router.js';

/** Every line the router logs, parsed. */
function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'info', pretty: false, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { log, lines };
}

describe('logs an operator can use', () => {
  it('logs each request once (refusals with their reason, never credentials), retries, the breaker opening with its reason, and what stays queued at stop', async () => {
    const sink = await new HttpSink().start();
    sink.responder = () => ({ status: 503 });
    const { log, lines } = capturedLog();
    const fixture = await new RouterFixture(
      {
        sources: [{ id: 'web', type: 'segment', writeKey: 'wk_web_secret_key' }],
        connections: [
          {
            id: 'down',
            connector: 'webhook',
            settings: { url: `${sink.url}/down` },
            delivery: {
              retry: { maxAttempts: 50, baseDelayMs: 10, maxDelayMs: 20 },
              breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
            },
          },
        ],
      },
      log,
    ).start();
    try {
      for (let i = 0; i < 3; i += 1) {
        const response = await fixture.send('/v1/track', { userId: `u-${i}`, event: 'Viewed', messageId: randomUUID() }, { auth: 'wk_web_secret_key:' });
        expect(response.status).toBe(200);
      }
      expect((await fixture.send('/v1/track', { userId: 'u', event: 'x' }, { auth: 'not-a-key-at-all:' })).status).toBe(403);
      await until(() => lines.some((l) => String(l.msg).startsWith('circuit breaker opened')), 'the breaker to open');

      const requests = lines.filter((l) => l.msg === 'request' && l.route === '/v1/track');
      expect(requests).toHaveLength(3);
      expect(requests[0]).toMatchObject({ method: 'POST', status: 200, source: 'web', ms: expect.any(Number) });
      expect(lines.find((l) => l.msg === 'request refused')).toMatchObject({ route: '/v1/track', status: 403, reason: 'INVALID_WRITE_KEY' });
      expect(lines.find((l) => l.msg === 'deliveries will be retried')).toMatchObject({
        connection: 'down',
        error: expect.objectContaining({ code: 'HTTP_503' }),
      });
      const opened = lines.find((l) => String(l.msg).startsWith('circuit breaker opened'))!;
      expect(opened).toMatchObject({ connection: 'down', reason: expect.stringMatching(/^HTTP_503/) });
      expect(JSON.stringify(lines)).not.toContain('wk_web_secret_key');
    } finally {
      await fixture.close();
      await sink.stop();
    }
    expect(lines.find((l) => String(l.msg).startsWith('stopped:'))).toMatchObject({
      msg: 'stopped: 3 deliveries wait in the queue for the next start',
      queued: { down: 3 },
    });
  });
});
