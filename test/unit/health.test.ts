// healthOf: only conditions that affect data turn the SR to Recovering (xapi will not scan an
// SR that is not Healthy), and the reason names the health checks.
import { describe, expect, it } from "vitest";
import type { Health as CephHealth } from "../../plugins/ceph/outputs.js";
import { Health } from "../../plugins/wire/records.js";
import { healthOf } from "../../volume/sr/pool-stat.js";

const check = (message: string, severity = "HEALTH_WARN") => ({ severity, summary: { message } });
const cluster = (checks: CephHealth["checks"], status = "HEALTH_WARN"): CephHealth => ({ status, checks });

describe("healthOf", () => {
  it("HEALTH_OK is Healthy with an empty reason", () => {
    expect(healthOf(cluster({}, "HEALTH_OK"))).toEqual(["Healthy", ""]);
  });

  // The conditions that affect data turn the SR to Recovering; the others only say so.
  const RECOVERING = "with the check in the reason";
  const HEALTHY = "with the reason text";
  it.each([
    ["OSD_DOWN", "Recovering", RECOVERING, "1 osds down"],
    ["PG_DEGRADED", "Recovering", RECOVERING, "Degraded data redundancy: 10/30 objects degraded (33.333%), 5 pgs degraded"],
    ["PG_AVAILABILITY", "Recovering", RECOVERING, "Reduced data availability: 3 pgs inactive"],
    ["POOL_NO_REDUNDANCY", "Healthy", HEALTHY, "1 pool(s) have no replicas configured"],
    ["MON_CLOCK_SKEW", "Healthy", HEALTHY, "clock skew detected on mon.b"],
    ["RECENT_CRASH", "Healthy", HEALTHY, "1 daemons have recently crashed"],
  ])("%s is %s, %s", (name, health, _says, message) => {
    const h = healthOf(cluster({ [name]: check(message) }));
    expect(h[0]).toBe(health);
    expect(h[1]).toContain(name);
    expect(h[1]).toContain(message);
  });

  it("names every data-affecting check", () => {
    const h = healthOf(cluster({ OSD_DOWN: check("1 osds down"), PG_DEGRADED: check("5 pgs degraded"), MON_CLOCK_SKEW: check("clock skew") }));
    expect(h[0]).toBe("Recovering");
    expect(h[1]).toContain("OSD_DOWN");
    expect(h[1]).toContain("PG_DEGRADED");
  });

  it("always gives the wire's 2-element form", () => {
    for (const c of [cluster({}, "HEALTH_OK"), cluster({ OSD_DOWN: check("x") }), cluster({ POOL_NO_REDUNDANCY: check("y") })]) {
      expect(Health().safeParse(healthOf(c)).success).toBe(true);
    }
  });
});
