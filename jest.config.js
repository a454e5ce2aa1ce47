// Jest: TypeScript unit tests (test/unit mirrors src/) and in-process server tests (test/e2e/ts).
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 60000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { strict: true, esModuleInterop: true, target: 'ES2022', module: 'commonjs', skipLibCheck: true } }] },
};
