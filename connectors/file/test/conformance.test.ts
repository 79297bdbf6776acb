import { runConformanceSuite } from '@switchyard/sdk-kit/testing';
import connector from '../src/index.js';

// No egress hosts: the suite registers no HTTP checks and verifies the connector makes no request at all.
runConformanceSuite(connector, { settings: {} });
