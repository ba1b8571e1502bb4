import { configDefaults, defineConfig } from "vitest/config";

// Test-only settings (a host identity per simulated host, crash and pause points) are honoured
// only in test mode: plugins/test-mode.ts.
// Tests that play many hosts start a session service per simulated host: each leaves soon after
// its last verb instead of after the production default.
const TEST_ENV = { CEPH_RBD_TEST_MODE: "1", CEPH_RBD_SERVICE_IDLE: "20" };

// Tests by kind, one vitest project each (`npm run test:<kind>`; `npm test` runs them all).
// Every kind but unit runs against a real Ceph cluster and the install tree: their globalSetup
// starts one cluster and builds one tree for the whole run, however many kinds it holds
// (test/helpers/shared-setup.ts).
const at = (...names: string[]) => names.map((n) => `test/integration/${n}.test.ts`);
const KINDS = {
  // Crash points, faults and a mixed load: the product converges and loses nothing.
  reliability: at("crash", "gc-crash", "faults", "mixed-load", "mgr-faults", "pool-load", "pool-datapath", "pool-gc", "nbd-load"),
  // The RPM build, its scriptlets and its files.
  packaging: at("packaging-payload", "packaging-installed"),
  // The benchmark harness's quick run.
  bench: at("bench-quick"),
};
// The packaging files share one RPM build (test/helpers/rpm-setup.ts).
const SETUP: Record<string, string[]> = { packaging: ["test/helpers/rpm-setup.ts"] };
const cluster = (name: string, include: string[], exclude: string[] = []) => ({
  test: {
    name,
    include,
    exclude: [...configDefaults.exclude, ...exclude],
    globalSetup: ["test/helpers/cluster-setup.ts", "test/helpers/tree-setup.ts", ...(SETUP[name] ?? [])],
    env: TEST_ENV,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks" as const,
  },
});

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], env: TEST_ENV } },
      cluster("integration", ["test/integration/**/*.test.ts"], Object.values(KINDS).flat()),
      ...Object.entries(KINDS).map(([name, files]) => cluster(name, files)),
    ],
  },
});
