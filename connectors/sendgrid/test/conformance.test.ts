import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, { settings: { apiKey: 'SG.test-key.abcdefghijklmnop', listIds: ['list-1'] } });
