import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure logic, *.test.ts beside the code, no services), `integration` (each package's
// test/ folder, against the real Kafka, schema registry, Redis and Postgres the testkit hands out) and
// `containers` (tests/containers: docker-compose.yml run for real on podman; `pnpm test:containers`).
export default defineConfig({
  test: {
    reporters: ['verbose'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'services/*/console/src/**/*.test.ts',
            'deploy/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: [
            'tests/containers/**',
            '**/node_modules/**',
            // it starts and stops a local stack of its own: it tests that stack, which containers replace
            ...(process.env.TALLY_TEST_STACK === 'containers' ? ['packages/stack/test/stack-lifecycle.test.ts'] : []),
          ],
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'containers',
          include: ['tests/containers/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 420_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
