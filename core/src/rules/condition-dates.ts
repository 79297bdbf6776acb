/** The operand of `before`/`after`: a fixed instant, or an offset from the moment of evaluation. */
export type DateOperand = { at: number } | { offsetMs: number };

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const RELATIVE = /^([+-])(\d{1,6})([smhdw])$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** `2024-01-31`, `2024-01-31T12:00:00Z`, `now`, `-30d`, `+2h`; undefined when it is none of them. */
export function parseDateOperand(text: string): DateOperand | undefined {
  if (text === 'now') return { offsetMs: 0 };
  const relative = RELATIVE.exec(text);
  if (relative) return { offsetMs: (relative[1] === '-' ? -1 : 1) * Number(relative[2]) * UNIT_MS[relative[3] as keyof typeof UNIT_MS] };
  if (!ISO_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : { at };
}

/** A field's value as an instant: an ISO string, or a number of milliseconds since the epoch. */
export function instantOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}
