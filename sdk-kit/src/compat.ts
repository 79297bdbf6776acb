/** Which @switchyard/sdk-kit versions a connector package was built for, and whether this one is among them. */
import semver from 'semver';

const SDK_KIT = '@switchyard/sdk-kit';

export interface ConnectorPackageJson {
  name?: string;
  switchyard?: { sdkKit?: string };
  peerDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/** True when `version` is in `range`; undefined when either cannot be read as semver. */
export function satisfiesRange(version: string, range: string): boolean | undefined {
  const parsed = semver.parse(version.trim());
  if (!parsed || semver.validRange(range) === null) return undefined;
  // A prerelease kit is judged by its place in the version order rather than excluded from every range.
  return semver.satisfies(parsed, range, { includePrerelease: true });
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
  return (
    `${who} was built for ${SDK_KIT} ${declared.range} (its ${declared.field}), but this Switchyard runs ${SDK_KIT} ${sdkKitVersion}: ` +
    `install a version of the connector built for ${sdkKitVersion}, or run a Switchyard whose sdk-kit is in ${declared.range}`
  );
}
