/** How the page writes numbers and times. */

export const count = (n: number | undefined): string => (n === undefined ? '—' : n.toLocaleString('en-US'));

export const perSecond = (n: number | undefined): string => (n === undefined ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));

export const percent = (ratio: number | undefined): string => (ratio === undefined ? '—' : `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`);

export const time = (at: string | number): string => new Date(at).toLocaleTimeString('en-GB', { hour12: false });

export const dateTime = (at: string | number): string =>
  new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

export const json = (value: unknown): string => JSON.stringify(value, null, 2);
