import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

// An enrichment connector: the checks run its lookup for the sample events that carry coordinates.
runConformanceSuite(connector, { settings: { apiKey: 'sg_test_key_123456' } });
