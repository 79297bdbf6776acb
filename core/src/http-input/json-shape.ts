import { INPUT_LIMITS } from './input-limits.js';
import { jsonPath, RequestError } from './request-error.js';

interface Frame {
  value: object;
  /** Object keys, or undefined for an array. */
  keys: string[] | undefined;
  next: number;
}

/**
 * Checks a parsed body before any recursive code sees it: no object or array nested deeper than
 * `INPUT_LIMITS.maxDepth`, and no `__proto__` key (which assignment and merge code would treat as the
 * prototype). Iterative, so a hostile depth cannot exhaust the stack; one pass over a good body, and a
 * second one that builds the JSON path only for a bad one.
 */
export function checkJsonShape(body: unknown, maxDepth: number = INPUT_LIMITS.maxDepth): void {
  if (body === null || typeof body !== 'object' || isWellShaped(body, maxDepth)) return;
  throw shapeError(body, maxDepth);
}

function isWellShaped(root: object, maxDepth: number): boolean {
  const values: object[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        const child: unknown = value[i];
        if (child === null || typeof child !== 'object') continue;
        if (depth >= maxDepth) return false;
        values.push(child);
        depths.push(depth + 1);
      }
      continue;
    }
    // JSON.parse makes only own enumerable keys, so for…in sees exactly them without allocating a key list.
    for (const key in value) {
      if (key === '__proto__') return false;
      const child: unknown = (value as Record<string, unknown>)[key];
      if (child === null || typeof child !== 'object') continue;
      if (depth >= maxDepth) return false;
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return true;
}

/** Walks depth-first, keeping the path, to the first member that failed the check. */
function shapeError(root: object, maxDepth: number): RequestError {
  const stack: Frame[] = [frameOf(root)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    let child: unknown;
    if (frame.keys === undefined) {
      const array = frame.value as unknown[];
      if (frame.next >= array.length) {
        stack.pop();
        continue;
      }
      child = array[frame.next++];
    } else {
      if (frame.next >= frame.keys.length) {
        stack.pop();
        continue;
      }
      const key = frame.keys[frame.next++]!;
      if (key === '__proto__') {
        return new RequestError(400, 'FORBIDDEN_KEY', [{ path: pathOf(stack), message: 'the key "__proto__" is not accepted anywhere in a body; rename it' }]);
      }
      child = (frame.value as Record<string, unknown>)[key];
    }
    if (child === null || typeof child !== 'object') continue;
    if (stack.length >= maxDepth) {
      return new RequestError(400, 'TOO_DEEP', [{ path: pathOf(stack), message: `nests deeper than ${maxDepth} levels; flatten the data` }]);
    }
    stack.push(frameOf(child));
  }
  throw new Error('checkJsonShape: the body failed the check but no member was found at fault');
}

function frameOf(value: object): Frame {
  return { value, keys: Array.isArray(value) ? undefined : Object.keys(value), next: 0 };
}

/** The path to the member each frame last stepped into. */
function pathOf(stack: Frame[]): string {
  return jsonPath('$', ...stack.map((frame) => (frame.keys === undefined ? frame.next - 1 : frame.keys[frame.next - 1]!)));
}
