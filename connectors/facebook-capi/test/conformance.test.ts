import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, { settings: { pixelId: '1234567890', accessToken: 'EAAtesttoken1234567890' } });
