import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, { settings: { pixelId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', accessToken: 'snap-capi-token-abcdef123' } });
