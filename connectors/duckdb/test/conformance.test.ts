import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector, { closeWarehouses } from '../src/index.js';

afterAll(() => closeWarehouses());

// Default settings: the file goes into the harness's own data directory.
runConformanceSuite(connector, { settings: {} });
