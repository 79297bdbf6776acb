/**
 * Writes a small MaxMind DB (MMDB v2) file for tests: IPv4 networks → records, with the format's
 * search tree (24-bit records), data section and metadata. Only the types the readers need are encoded.
 */
type Value = string | number | boolean | Value[] | { [key: string]: Value };

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const head: number[] = [];
  let sizeBits = size;
  const extra: number[] = [];
  if (size >= 29 && size < 285) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size >= 285) {
    sizeBits = 30;
    extra.push((size - 285) >> 8, (size - 285) & 0xff);
  }
  head.push(((extended ? 0 : type) << 5) | sizeBits);
  if (extended) head.push(type - 7);
  return Buffer.from([...head, ...extra]);
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(14, value ? 1 : 0);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value);
      return Buffer.concat([control(6, 4), bytes]);
    }
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(3, 8), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

interface TrieNode {
  children: [TrieNode | number | undefined, TrieNode | number | undefined];
}

export function writeMmdb(networks: Array<{ cidr: string; record: Record<string, Value> }>): Buffer {
  const records = networks.map((n) => encode(n.record));
  const offsets: number[] = [];
  let cursor = 0;
  for (const r of records) {
    offsets.push(cursor);
    cursor += r.length;
  }

  const root: TrieNode = { children: [undefined, undefined] };
  networks.forEach((network, index) => {
    const [address, bits] = network.cidr.split('/');
    const value = address!.split('.').reduce((acc, octet) => (acc << 8) + Number(octet), 0) >>> 0;
    let node = root;
    for (let depth = 0; depth < Number(bits); depth += 1) {
      const bit = (value >>> (31 - depth)) & 1;
      if (depth === Number(bits) - 1) {
        node.children[bit] = -(index + 1);
        break;
      }
      let next = node.children[bit];
      if (typeof next !== 'object') {
        next = { children: [undefined, undefined] };
        node.children[bit] = next;
      }
      node = next;
    }
  });

  const nodes: TrieNode[] = [];
  const number = new Map<TrieNode, number>();
  const visit = (node: TrieNode) => {
    number.set(node, nodes.length);
    nodes.push(node);
    for (const c of node.children) if (typeof c === 'object') visit(c);
  };
  visit(root);
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, i) => {
    node.children.forEach((child, side) => {
      let value = nodeCount; // no data
      if (typeof child === 'object') value = number.get(child)!;
      else if (typeof child === 'number') value = nodeCount + 16 + offsets[-child - 1]!;
      tree.writeUIntBE(value, i * 6 + side * 3, 3);
    });
  });

  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: 'Switchyard-Test-City',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: 'test database' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...records, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), metadata]);
}
