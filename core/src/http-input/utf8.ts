import { RequestError } from './request-error.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a body as UTF-8. JSON text must be UTF-8 (RFC 8259 §8.1), so invalid bytes are refused with
 * the offset of the first one instead of being turned into U+FFFD. A leading byte-order mark is dropped.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new RequestError(400, 'INVALID_UTF8', [
      {
        path: '$',
        message: `the body is not valid UTF-8 at byte ${firstInvalidByte(bytes)} (counted in the decompressed body); send JSON encoded as UTF-8`,
      },
    ]);
  }
}

/** Where the first ill-formed sequence starts (RFC 3629 §4); only run once decoding has failed. */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const [trailing, low, high] = sequenceOf(lead);
    if (trailing === 0) return i;
    for (let k = 1; k <= trailing; k += 1) {
      const byte = bytes[i + k];
      // Only the first continuation byte has a narrowed range (no overlongs, surrogates or > U+10FFFF).
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += trailing + 1;
  }
  return bytes.length;
}

/** Continuation bytes a lead byte needs and the allowed range of the first one; 0 for an invalid lead. */
function sequenceOf(lead: number): [number, number, number] {
  if (lead >= 0xc2 && lead <= 0xdf) return [1, 0x80, 0xbf];
  if (lead === 0xe0) return [2, 0xa0, 0xbf];
  if (lead === 0xed) return [2, 0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [2, 0x80, 0xbf];
  if (lead === 0xf0) return [3, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [3, 0x80, 0xbf];
  if (lead === 0xf4) return [3, 0x80, 0x8f];
  return [0, 0, 0];
}
