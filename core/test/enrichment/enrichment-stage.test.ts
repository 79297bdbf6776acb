import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnrichmentStage } from '../../src/enrichment/enrichment-stage.js';
import { loadConnector, silentLogger } from '../../src/index.js';
import { trackEvent } from '../helpers/events.js';
import { HttpSink } from '../helpers/http-sink.js';
import { StallingServer } from '../helpers/stalling-server.js';

const placeAnswer = {
  data: {
    search: {
      places: {
        results: { edges: [{ node: { placekey: 'zzw-222@8fy-fjg-b8v', safegraph_core: { location_name: 'Ferry Building', top_category: 'Markets' } } }] },
      },
    },
  },
};
const at = (latitude: number, longitude: number) => trackEvent({ context: { location: { latitude, longitude } } });

describe('enrichment stage', () => {
  let dir: string;
  let stage: EnrichmentStage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-enrich-'));
    stage = new EnrichmentStage(dir, silentLogger);
  });

  afterEach(async () => {
    await stage.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(endpoint: string, timeoutMs = 2000) {
    const { connector, moduleUrl } = await loadConnector('places', dir);
    await stage.apply([{ id: 'places', connector, moduleUrl, settings: { apiKey: 'sg_test_key_123456', endpoint }, timeoutMs }]);
  }

  it('adds the place to every event at those coordinates, with one lookup per cache key', async () => {
    const provider = await new HttpSink().start();
    provider.responder = () => ({ status: 200, body: placeAnswer });
    try {
      // The first lookup includes the worker's cold start, which can take seconds on a loaded machine.
      await connect(`${provider.url}/v2/graphql`, 10_000);
      const events = [at(37.7955, -122.3937), at(37.79551, -122.39371), trackEvent()];
      await stage.enrich(events);
      expect(events[0]!.context.place).toEqual({ placekey: 'zzw-222@8fy-fjg-b8v', name: 'Ferry Building', category: 'Markets' });
      expect(events[1]!.context.place).toEqual(events[0]!.context.place);
      expect(events[2]!.context.place).toBeUndefined();
      expect(provider.requests).toHaveLength(1);

      const later = [at(37.7955, -122.3937)];
      await stage.enrich(later);
      expect(later[0]!.context.place).toMatchObject({ name: 'Ferry Building' });
      expect(provider.requests).toHaveLength(1);
      expect(stage.stats().places).toMatchObject({ enriched: 3, cacheHits: 1 });
    } finally {
      await provider.stop();
    }
  });

  it('lets events through unenriched when the provider does not answer in time', async () => {
    let release: () => void = () => undefined;
    const provider = await new StallingServer(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    ).start();
    try {
      await connect(provider.url, 150);
      const first = [at(37.7955, -122.3937)];
      await stage.enrich(first);
      await provider.waitForRequest();
      expect(first[0]!.context.place).toBeUndefined();
      expect(stage.stats().places!.timeouts).toBe(1);
    } finally {
      release();
      await provider.stop();
    }
  });

  it('opens its breaker on a failing provider and stops calling it, without failing the events', async () => {
    const provider = await new HttpSink().start();
    provider.responder = () => ({ status: 503 });
    try {
      await connect(`${provider.url}/v2/graphql`);
      for (let i = 0; i < 8; i += 1) {
        const events = [at(10 + i, 10 + i)];
        await stage.enrich(events);
        expect(events[0]!.context.place).toBeUndefined();
      }
      expect(stage.stats().places!.breaker).toBe('open');
      const callsWhenOpen = provider.requests.length;
      const skippedWhenOpen = stage.stats().places!.skippedBreakerOpen;
      await stage.enrich([at(50, 50)]);
      expect(provider.requests.length).toBe(callsWhenOpen);
      expect(stage.stats().places!.skippedBreakerOpen).toBe(skippedWhenOpen + 1);
    } finally {
      await provider.stop();
    }
  });
});
