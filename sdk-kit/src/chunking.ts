/** The most a vendor takes in one request: items and the serialised body's bytes. */
export interface RequestLimits {
  maxItems: number;
  /** UTF-8 bytes of the JSON body, envelope included; default: no byte limit. */
  maxBytes?: number;
  /** Bytes of the body around the items (keys, api key, brackets); default 200. */
  envelopeBytes?: number;
  /** Bytes one item adds to the body; default: its JSON length plus a comma. */
  sizeOf?: (item: unknown) => number;
}

/** A run of consecutive items that fits one request, and the index of its first item. */
export interface RequestChunk<T> {
  start: number;
  items: T[];
}

const jsonBytes = (item: unknown) => Buffer.byteLength(JSON.stringify(item) ?? '') + 1;

/**
 * Cuts items, in order, into requests within the vendor's item and byte limits. An item bigger than the byte limit on
 * its own gets a request of its own, so the vendor's answer (usually 413) fails that item alone.
 */
export function chunkForRequests<T>(items: readonly T[], limits: RequestLimits): RequestChunk<T>[] {
  const { maxItems, maxBytes = Infinity, envelopeBytes = 200, sizeOf = jsonBytes } = limits;
  const chunks: RequestChunk<T>[] = [];
  let current: RequestChunk<T> = { start: 0, items: [] };
  let bytes = envelopeBytes;
  items.forEach((item, index) => {
    const size = maxBytes === Infinity ? 0 : sizeOf(item);
    if (current.items.length > 0 && (current.items.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(current);
      current = { start: index, items: [] };
      bytes = envelopeBytes;
    }
    current.items.push(item);
    bytes += size;
  });
  if (current.items.length > 0) chunks.push(current);
  return chunks;
}
