import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

runConformanceSuite(connector, { settings: { apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'list123' } });
