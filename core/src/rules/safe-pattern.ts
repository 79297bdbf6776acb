import { MAX_PATTERN_LENGTH } from './condition-schema.js';

/**
 * Why a `matches` pattern is refused, or undefined when it may be used. JavaScript's regular expressions
 * backtrack, so a pattern with a repeated group that itself repeats (`(a+)+`, `(\w*)*`) or a backreference can
 * take exponential time on a crafted value: one event would stall ingestion. Those shapes are refused outright.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `the pattern is longer than ${MAX_PATTERN_LENGTH} characters; shorten it`;
  const shape = riskyShape(pattern);
  if (shape) return shape;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, '')}); write it as JavaScript's RegExp reads it, without slashes or flags`;
  }
  return undefined;
}

interface Group {
  /** Holds a part that matches a varying number of times: the ambiguity a repeated group multiplies. */
  repeats: boolean;
}

function riskyShape(pattern: string): string | undefined {
  const groups: Group[] = [{ repeats: false }];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return 'backreferences (\\1, \\k<name>) can take exponential time; match the text without referring back';
      }
      i += 2;
    } else if (ch === '[') {
      i = endOfClass(pattern, i + 1);
    } else if (ch === '(') {
      groups.push({ repeats: false });
      i += 1;
      if (pattern[i] === '?') i = endOfGroupPrefix(pattern, i + 1);
    } else if (ch === ')') {
      const group = groups.length > 1 ? groups.pop()! : { repeats: false };
      const after = quantifierAt(pattern, i + 1);
      if (after && after.max > 1 && group.repeats) {
        return `the group ending at character ${i + 1} repeats and holds a repetition itself (like (a+)+), which can take exponential time; repeat only the inner part, e.g. (a+)+ → a+`;
      }
      if (group.repeats || (after && after.max > after.min)) groups[groups.length - 1]!.repeats = true;
      i = after ? after.end : i + 1;
    } else {
      const q = quantifierAt(pattern, i);
      if (q) {
        if (q.max > q.min) groups[groups.length - 1]!.repeats = true;
        i = q.end;
      } else i += 1;
    }
  }
  return undefined;
}

/** A quantifier starting at `i` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe lazy): how often it repeats. */
function quantifierAt(pattern: string, i: number): { end: number; min: number; max: number } | undefined {
  const ch = pattern[i];
  let found: { end: number; min: number; max: number };
  if (ch === '*') found = { end: i + 1, min: 0, max: Infinity };
  else if (ch === '+') found = { end: i + 1, min: 1, max: Infinity };
  else if (ch === '?') found = { end: i + 1, min: 0, max: 1 };
  else if (ch === '{') {
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (!braces) return undefined;
    const min = Number(braces[1]);
    found = { end: i + braces[0].length, min, max: braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]) };
  } else return undefined;
  if (pattern[found.end] === '?') found.end += 1;
  return found;
}

function endOfClass(pattern: string, i: number): number {
  while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** After `(?`: skips `:`, `=`, `!`, `<=`, `<!` or `<name>`. */
function endOfGroupPrefix(pattern: string, i: number): number {
  if (pattern[i] === '<' && pattern[i + 1] !== '=' && pattern[i + 1] !== '!') {
    const close = pattern.indexOf('>', i);
    return close === -1 ? pattern.length : close + 1;
  }
  return pattern[i] === '<' ? i + 2 : i + 1;
}
