// pauseReason: heavy GC work (flatten, trash purge) waits while the cluster is not healthy
// (data-affecting checks, the same ones that turn SR.stat to Recovering) or has slow requests;
// other warnings do not hold it back.
import { describe, expect, it } from "vitest";
import type { Health as CephHealth } from "../../plugins/ceph/outputs.js";
import { pauseReason } from "../../volume/gc/pass.js";

const check = (message: string, severity = "HEALTH_WARN") => ({ severity, summary: { message } });
const cluster = (checks: CephHealth["checks"], status = "HEALTH_WARN"): CephHealth => ({ status, checks });

describe("pauseReason", () => {
  it("HEALTH_OK: no pause", () => {
    expect(pauseReason(cluster({}, "HEALTH_OK"))).toBeUndefined();
  });

  it.each([
    ["PG_DEGRADED", "Degraded data redundancy: 10/30 objects degraded (33.333%), 5 pgs degraded", "HEALTH_WARN"],
    ["OSD_DOWN", "1 osds down", "HEALTH_WARN"],
    ["PG_AVAILABILITY", "Reduced data availability: 3 pgs inactive", "HEALTH_WARN"],
    ["OSD_FULL", "1 full osd(s)", "HEALTH_ERR"],
  ])("%s: paused, the cluster is not healthy", (name, message, status) => {
    const r = pauseReason(cluster({ [name]: check(message, status) }, status));
    expect(r).toContain("not healthy");
    expect(r).toContain(name);
    expect(r).toContain(message);
  });

  it.each([
    ["SLOW_OPS", "12 slow ops, oldest one blocked for 35 sec, osd.1 has slow ops"],
    ["REQUEST_SLOW", "5 slow requests are blocked > 32 sec"],
  ])("%s alone (HEALTH_WARN): paused for slow requests, not for health", (name, message) => {
    const r = pauseReason(cluster({ [name]: check(message) }));
    expect(r).toContain("slow requests");
    expect(r).toContain(name);
    expect(r).not.toContain("not healthy");
  });

  it("a data-affecting check outweighs slow requests", () => {
    const r = pauseReason(cluster({ SLOW_OPS: check("3 slow ops"), PG_DEGRADED: check("Degraded data redundancy: 2 pgs degraded") }));
    expect(r).toContain("not healthy");
    expect(r).toContain("PG_DEGRADED");
  });

  it.each([
    ["POOL_NO_REDUNDANCY", "1 pool(s) have no replicas configured"],
    ["MON_CLOCK_SKEW", "clock skew detected on mon.b"],
    ["RECENT_CRASH", "1 daemons have recently crashed"],
  ])("%s (an unrelated warning): no pause", (name, message) => {
    expect(pauseReason(cluster({ [name]: check(message) }))).toBeUndefined();
  });
});
