// @swc/jest, not ts-jest: Nest 12 ships ES modules, which only this transform loads here.
const swc = ['@swc/jest', { swcrc: true }];
const common = {
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testEnvironment: 'node',
};

module.exports = {
  testTimeout: 60000,
  projects: [
    // Beside the code; no network services.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    // One port, every adapter, against the real PostgreSQL, Redis and s3rver.
    {
      ...common,
      displayName: 'contract',
      testMatch: ['<rootDir>/test/contract/**/*.contract-spec.ts'],
    },
    // The booted application over HTTP (supertest), and the built binary as separate
    // processes.
    {
      ...common,
      displayName: 'e2e',
      // The outage suite (test/faults/) among them; `npm run test:faults` runs it alone.
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
