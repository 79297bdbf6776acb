// Shared jest setup: TypeScript via swc emitting ES modules, run with --experimental-vm-modules
// because got and p-queue are ESM-only.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  // `./x.js` in TypeScript sources is `./x.ts`; a package's own `./data.json.js` module stays as written.
  moduleNameMapper: { '^(\\.{1,2}/.*\\.json\\.js)$': '$1', '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 30000,
  reporters: ['default', new URL('./scripts/jest-results-reporter.cjs', import.meta.url).pathname],
};
