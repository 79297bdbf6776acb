/**
 * Which @switchyard/sdk-kit versions a connector package was built for, and whether this one is among
 * them. A minimal semver range check (^, ~, exact, >=, >, <=, <, x-ranges, "||") so the kit needs no dependency.
 */

type Version = [number, number, number];
interface Comparator { op: '>=' | '>' | '<=' | '<' | '='; version: Version }

const SDK_KIT = '@switchyard/sdk-kit';

export interface ConnectorPackageJson {
  name?: string;
  switchyard?: { sdkKit?: string };
  peerDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** `1.2` → [1, 2, undefined]; x, X and * are wildcards. */
function parsePartial(text: string): Array<number | undefined> | undefined {
  const parts = text.replace(/^v/, '').split('-')[0]!.split('.');
  if (parts.length > 3 || parts.some((p) => !/^(\d+|x|X|\*)$/.test(p))) return undefined;
  const numbers = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : undefined));
  // Anything after a wildcard is a wildcard too (1.x.3 means 1.x).
  const firstWildcard = numbers.findIndex((n) => n === undefined);
  return firstWildcard === -1 ? numbers : numbers.slice(0, firstWildcard);
}

function comparatorsFor(token: string): Comparator[] | undefined {
  const match = /^(\^|~|>=|<=|>|<|=)?\s*(.*)$/.exec(token)!;
  const op = match[1] ?? '';
  const partial = match[2] === '' || match[2] === '*' ? [] : parsePartial(match[2]!);
  if (!partial) return undefined;
  const [major, minor, patch] = partial;
  const low: Version = [major ?? 0, minor ?? 0, patch ?? 0];
  if (op === '^' || op === '~' || op === '' || op === '=') {
    if (major === undefined) return []; // "*" or "x": any version
    let high: Version;
    if (op === '^') {
      high = major > 0 || minor === undefined ? [major + 1, 0, 0]
        : minor > 0 || patch === undefined ? [0, minor + 1, 0] : [0, 0, patch + 1];
    } else if (op === '~') {
      high = minor === undefined ? [major + 1, 0, 0] : [major, minor + 1, 0];
    } else if (patch !== undefined) {
      return [{ op: '=', version: low }];
    } else {
      high = minor === undefined ? [major + 1, 0, 0] : [major, minor + 1, 0];
    }
    return [{ op: '>=', version: low }, { op: '<', version: high }];
  }
  return [{ op: op as Comparator['op'], version: low }];
}

function holds(version: Version, c: Comparator): boolean {
  const order = compare(version, c.version);
  switch (c.op) {
    case '>=': return order >= 0;
    case '>': return order > 0;
    case '<=': return order <= 0;
    case '<': return order < 0;
    case '=': return order === 0;
  }
}

/** True when `version` is in `range`; undefined when either cannot be read as semver. */
export function satisfiesRange(version: string, range: string): boolean | undefined {
  const parsed = parseVersion(version);
  if (!parsed) return undefined;
  let readable = false;
  const anyHolds = range.split('||').some((alternative) => {
    const tokens = alternative.trim().replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1').split(/\s+/).filter(Boolean);
    const comparators = tokens.length === 0 ? [] : tokens.map(comparatorsFor);
    if (comparators.some((c) => c === undefined)) return false;
    readable = true;
    return (comparators as Comparator[][]).flat().every((c) => holds(parsed, c));
  });
  return readable ? anyHolds : undefined;
}

/** The sdk-kit range a connector package declares, and where: `switchyard.sdkKit`, then peer, then regular dependencies. */
export function declaredSdkKitRange(pkg: ConnectorPackageJson): { range: string; field: string } | undefined {
  if (pkg.switchyard?.sdkKit) return { range: pkg.switchyard.sdkKit, field: 'switchyard.sdkKit' };
  const peer = pkg.peerDependencies?.[SDK_KIT];
  if (peer) return { range: peer, field: `peerDependencies["${SDK_KIT}"]` };
  const dependency = pkg.dependencies?.[SDK_KIT];
  if (dependency) return { range: dependency, field: `dependencies["${SDK_KIT}"]` };
  return undefined;
}

/**
 * Returns why a connector package cannot run with this sdk-kit version, or undefined when it can (or
 * declares no semver range, e.g. a workspace or file: link).
 */
export function checkSdkKitCompatibility(pkg: ConnectorPackageJson, sdkKitVersion: string): string | undefined {
  const declared = declaredSdkKitRange(pkg);
  if (!declared) return undefined;
  const fits = satisfiesRange(sdkKitVersion, declared.range);
  if (fits !== false) return undefined;
  const who = pkg.name ? `connector package "${pkg.name}"` : 'the connector package';
  return `${who} was built for ${SDK_KIT} ${declared.range} (its ${declared.field}), but this Switchyard runs ${SDK_KIT} ${sdkKitVersion}: `
    + `install a version of the connector built for ${sdkKitVersion}, or run a Switchyard whose sdk-kit is in ${declared.range}`;
}
