import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';
import { API_KEY, SITE_ID } from './customerio-stub.js';

runConformanceSuite(connector, { settings: { siteId: SITE_ID, apiKey: API_KEY } });
