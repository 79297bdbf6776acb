import { checkSdkKitCompatibility, satisfiesRange } from '../../src/index.js';

test.each([
  ['0.1.0', '^0.1.0', true],
  ['0.1.9', '^0.1.0', true],
  ['0.2.0', '^0.1.0', false],
  ['1.4.2', '^1.2.0', true],
  ['2.0.0', '^1.2.0', false],
  ['1.1.9', '^1.2.0', false],
  ['0.0.3', '^0.0.3', true],
  ['0.0.4', '^0.0.3', false],
  ['1.2.9', '~1.2.3', true],
  ['1.3.0', '~1.2.3', false],
  ['1.9.0', '~1', true],
  ['1.2.3', '1.2.3', true],
  ['1.2.4', '1.2.3', false],
  ['1.2.4', '=1.2.3', false],
  ['3.0.0', '>=2.1.0', true],
  ['2.0.9', '>=2.1.0', false],
  ['1.0.0', '>=1.0.0 <2.0.0', true],
  ['2.0.0', '>=1.0.0 <2.0.0', false],
  ['1.7.0', '1.x', true],
  ['2.0.0', '1.x', false],
  ['1.2.7', '1.2.x', true],
  ['5.0.0', '*', true],
  ['2.5.0', '^1.0.0 || ^2.0.0', true],
  ['3.0.0', '^1.0.0 || ^2.0.0', false],
  ['1.5.0', '>= 1.0.0 < 2.0.0', true],
  ['v1.2.3', '^1.2.0', true],
  // A prerelease of the running kit is judged by its place in the version order.
  ['0.1.1-rc.1', '^0.1.0', true],
  ['0.2.0-rc.1', '^0.1.0', false],
])('%s in %s → %s', (version, range, expected) => {
  expect(satisfiesRange(version, range)).toBe(expected);
});

test('ranges that are not semver (workspace links, file paths) are not judged', () => {
  expect(satisfiesRange('0.1.0', 'workspace:*')).toBeUndefined();
  expect(satisfiesRange('0.1.0', 'file:vendor/switchyard-sdk-kit-0.1.0.tgz')).toBeUndefined();
  expect(satisfiesRange('not-a-version', '^0.1.0')).toBeUndefined();
  expect(checkSdkKitCompatibility({ dependencies: { '@switchyard/sdk-kit': 'file:../sdk-kit' } }, '0.1.0')).toBeUndefined();
});

test('an incompatible connector is refused with a message naming both versions and where the range came from', () => {
  expect(checkSdkKitCompatibility({ name: 'switchyard-connector-acme', peerDependencies: { '@switchyard/sdk-kit': '^2.0.0' } }, '0.1.0')).toBe(
    'connector package "switchyard-connector-acme" was built for @switchyard/sdk-kit ^2.0.0 (its peerDependencies["@switchyard/sdk-kit"]), ' +
      'but this Switchyard runs @switchyard/sdk-kit 0.1.0: install a version of the connector built for 0.1.0, or run a Switchyard whose sdk-kit is in ^2.0.0',
  );
});

test('switchyard.sdkKit wins over dependencies, and a package without a declared range passes', () => {
  expect(checkSdkKitCompatibility({ switchyard: { sdkKit: '^0.1.0' }, dependencies: { '@switchyard/sdk-kit': '9.0.0' } }, '0.1.3')).toBeUndefined();
  expect(checkSdkKitCompatibility({ dependencies: { '@switchyard/sdk-kit': '0.1.0' } }, '0.2.0')).toContain('(its dependencies["@switchyard/sdk-kit"])');
  expect(checkSdkKitCompatibility({ name: 'x' }, '0.1.0')).toBeUndefined();
});
