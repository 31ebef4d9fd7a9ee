/**
 * The conformance suites under Wine (test/win32/run.sh): the same test
 * files as on Linux, from TypeScript sources, in one process (--runInBand:
 * Wine's process start-up is slow), transpiled without type checks (the
 * Linux run type-checks them), with more time per test.
 */
module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/test'],
  testEnvironment: 'node',
  testTimeout: 120000,
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
};
