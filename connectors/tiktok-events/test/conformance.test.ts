import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, { settings: { pixelCode: 'C4ABCDEF12345', accessToken: 'tiktok-access-token-123456' } });
