import { gzipSync } from 'node:zlib';

/** Values as gzipped JSON Lines (one JSON document and `\n` per value): the usual form of event files in object storage. */
export function gzipJsonLines(values: readonly unknown[]): Buffer {
  return gzipSync(values.map((value) => `${JSON.stringify(value)}\n`).join(''));
}
