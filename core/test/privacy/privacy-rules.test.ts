import { Type, defineConnector } from '@switchyard/sdk-kit';
import { consentFromEvent, evaluateConsent } from '../../src/privacy/consent.js';
import { mergeConsent } from '../../src/profiles/consent-record.js';
import { stripIp } from '../../src/privacy/coppa.js';
import { resolvePrivacyConfig } from '../../src/privacy/privacy-config.js';
import { checkResidency } from '../../src/privacy/residency.js';
import { trackEvent } from '../helpers/events.js';

const config = resolvePrivacyConfig({
  purposes: [
    { id: 'analytics', mparticlePurposes: ['performance'], segmentCategories: ['Analytics'] },
    { id: 'advertising', segmentCategories: ['Advertising', 'Targeting'] },
  ],
});

describe('consent rules', () => {
  it('reads mParticle purposes and Segment categories into the configured purposes, latest timestamp winning', () => {
    const consent = consentFromEvent(
      {
        gdpr: { performance: { consented: true, timestamp: 100 } },
        categories: { Advertising: true, Targeting: false },
        ccpa: { dataSaleOptOut: true, timestamp: 50 },
      },
      200,
      config,
    );
    expect(consent.purposes.analytics).toEqual({ consented: true, timestamp: 100 });
    expect(consent.purposes.advertising?.timestamp).toBe(200);
    expect(consent.saleOptOut).toEqual({ consented: true, timestamp: 50 });

    const older = { purposes: { analytics: { consented: false, timestamp: 10 } } };
    expect(mergeConsent(consent, older).purposes.analytics?.consented).toBe(true);
    expect(mergeConsent(consent, { purposes: { analytics: { consented: false, timestamp: 300 } } }).purposes.analytics?.consented).toBe(false);
  });

  it('requires all or any purposes, blocks on denied purposes, and applies the missing-consent policy per regulation', () => {
    const granted = { purposes: { analytics: { consented: true, timestamp: 1 } } };
    expect(evaluateConsent(granted, { purposes: ['analytics'] }, false, config)).toEqual({ allowed: true });
    expect(evaluateConsent(granted, { purposes: ['analytics', 'advertising'] }, false, config)).toEqual({ allowed: false, reason: 'consent:advertising' });
    expect(evaluateConsent(granted, { purposes: ['analytics', 'advertising'], require: 'any' }, false, config)).toEqual({ allowed: true });
    const denied = { purposes: { advertising: { consented: false, timestamp: 1 } } };
    expect(evaluateConsent(denied, { blockWhenDenied: ['advertising'] }, false, config)).toEqual({ allowed: false, reason: 'consent:advertising' });
    expect(evaluateConsent({ purposes: {} }, { blockWhenDenied: ['advertising'] }, false, config)).toEqual({ allowed: true });

    const lenient = resolvePrivacyConfig({ ...config, missingConsent: { gdpr: 'allow', ccpa: 'deny' } });
    expect(evaluateConsent({ purposes: {} }, { purposes: ['analytics'] }, false, config).allowed).toBe(false);
    expect(evaluateConsent({ purposes: {} }, { purposes: ['analytics'] }, false, lenient).allowed).toBe(true);
    expect(evaluateConsent({ purposes: {} }, undefined, true, config).allowed).toBe(true);
    expect(evaluateConsent({ purposes: {} }, undefined, true, lenient)).toEqual({ allowed: false, reason: 'ccpa:data_sale_opt_out' });
    expect(evaluateConsent({ purposes: {}, saleOptOut: { consented: false, timestamp: 1 } }, undefined, true, lenient).allowed).toBe(true);
  });
});

describe('COPPA IP stripping', () => {
  it('removes the IP from the context, nested device data and the raw original', () => {
    const event = trackEvent({
      context: { ip: '198.51.100.4', device: { ip_address: '198.51.100.4', model: 'x' } },
      raw: { ip: '198.51.100.4', batch: [{ context: { ip: '198.51.100.4' } }], user_agent: 'ua' },
    });
    expect(stripIp(event)).toBe(true);
    expect(JSON.stringify(event)).not.toContain('198.51.100.4');
    expect(event.context.device).toEqual({ model: 'x' });
    expect(stripIp(event)).toBe(false);
  });
});

describe('data residency', () => {
  const regional = defineConnector({
    name: 'regional',
    version: '1.0.0',
    category: 'email',
    settings: Type.Object({ region: Type.Union([Type.Literal('us'), Type.Literal('eu')]) }),
    egress: (s) => [s.region === 'eu' ? 'api.eu.example.com' : 'api.example.com'],
    regions: (s) => [s.region],
    actions: { send: { subscribe: { types: 'all' }, fields: Type.Object({}), defaultMapping: {}, perform: () => undefined } },
  });

  it('refuses connections whose endpoints are outside the deployment region, naming them and the fix', () => {
    const problems = checkResidency('eu', [
      { at: 'connections[0]', id: 'mail-eu', connector: regional, settings: { region: 'eu' } },
      { at: 'connections[1]', id: 'mail-us', connector: regional, settings: { region: 'us' } },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('connections[1]: connection "mail-us" (regional) is not allowed under residency "eu": its endpoints are in us');
    expect(problems[0]).toContain("Choose the connector's regional endpoint");
    expect(checkResidency(undefined, [{ at: 'c', id: 'x', connector: regional, settings: { region: 'us' } }])).toEqual([]);
  });
});
