import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, { settings: { apiKey: 'braze-api-key-0123456789', restEndpoint: 'https://rest.iad-01.braze.com' } });
