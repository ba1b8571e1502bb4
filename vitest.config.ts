import { defineConfig } from "vitest/config";

// Test-only settings (a host identity per simulated host, crash and pause points) are honoured
// only in test mode: plugins/test-mode.ts.
const TEST_ENV = { CEPH_RBD_TEST_MODE: "1" };

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], env: TEST_ENV } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/helpers/cluster-setup.ts", "test/helpers/tree-setup.ts"],
          env: TEST_ENV,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: "forks",
        },
      },
    ],
  },
});
