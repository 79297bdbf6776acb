import { renderConnectorDocs } from '../../src/docs/index.js';
import acme from '../fixtures/good-connector.js';
import broken from '../fixtures/broken-connector.js';

test('renders name, category, settings table, actions with default mapping, egress, limits and erasure support', () => {
  const markdown = renderConnectorDocs(acme);
  expect(markdown).toContain('# acme\n');
  expect(markdown).toContain('- Category: analytics');
  expect(markdown).toContain('Sends events to the Acme events API.');
  expect(markdown).toContain('| `apiKey` | string | yes | yes |  | Acme API key. |');
  expect(markdown).toContain('| `region` | "us" \\| "eu" | no | no | `"us"` |  |');
  expect(markdown).toContain('### Send events (`send`)');
  expect(markdown).toContain('- Subscribes to: `track`, `commerce`');
  expect(markdown).toContain('- Batching: yes, up to 100 events per request');
  expect(markdown).toContain('```json\n{\n  "name": {\n    "@path": "$.event"\n  },');
  expect(markdown).toContain("Computed from the connection's settings");
  expect(markdown).toContain('| Requests per second | 20 |');
  expect(markdown).toContain('Supported: an erasure request (DSR) is forwarded');
});

test('lists static egress hosts and says when erasure is not supported', () => {
  const markdown = renderConnectorDocs(broken);
  expect(markdown).toContain('## Egress hosts\n\nThe only hosts this connector may call:\n\n- `api.broken.example`');
  expect(markdown).toContain('Not supported: erasure requests are not forwarded');
  expect(markdown).toContain('## Data-subject access\n\nNot supported: access and portability exports do not include what this destination holds');
  expect(markdown).toContain("The router's defaults apply");
});
