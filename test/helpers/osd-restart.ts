// An OSD restarted under running verbs on the three-OSD cluster of faults.test.ts: the window of each
// transition, and the checks that the verbs ran through it.
import { setTimeout as sleep } from "node:timers/promises";
import type { ExpectStatic } from "vitest";
import { startDaemon, stopDaemon, type Cluster } from "./clusters.js";
import type { TestSr } from "./sr.js";
import { figures, type Attempt, burst, trace, overlaps, describeAttempt, healthWithin } from "./fault-bursts.js";

// Stops osd.1, keeps it down until SR.stat says Recovering (with a reason), starts it again;
// the window of each transition, for the overlap checks.
export async function restartOsd(c: Cluster, s: TestSr, kill: boolean, hold: boolean) {
  figures.injected++;
  const stopFrom = Date.now();
  await stopDaemon(c, "osd.1", kill);
  const stopTo = Date.now();
  trace(`osd.1 stopped (${stopTo - stopFrom} ms)`);
  let during: [string, string] | undefined;
  if (hold) {
    during = (await healthWithin(s, ["Recovering"], 30_000)).health;
    trace(`SR.stat while osd.1 is down: ${JSON.stringify(during)}`);
  }
  const startFrom = Date.now();
  await startDaemon(c, "osd.1");
  const startTo = Date.now();
  trace(`osd.1 started (${startTo - startFrom} ms)`);
  return { stopFrom, stopTo, startFrom, startTo, during };
}

// Verbs back to back while osd.1 restarts: every one succeeds, some under way while the OSD
// went down and some while it came back; SR.stat said Recovering, with a reason, meanwhile.
export async function throughRestart(
  expect: ExpectStatic,
  c: Cluster,
  s: TestSr,
  round: number,
  what: string,
  next: Parameters<typeof burst>[0],
): Promise<Attempt[]> {
  const b = burst(next);
  await sleep(500);
  const w = await restartOsd(c, s, round % 2 === 1, true);
  expect(w.during?.[1].length, "Recovering comes with a reason").toBeGreaterThan(0);
  const attempts = await b.stop(1);
  trace(`${what}: ${attempts.length} calls, ${attempts.map((a) => a.end - a.start).join(" ")} ms`);
  for (const a of attempts) expect(a.r.code, describeAttempt(a)).toBe(0);
  expect(
    attempts.some((a) => a.start < w.stopTo && a.end > w.stopFrom),
    `a ${what} spans the stop`,
  ).toBe(true);
  expect(
    attempts.some((a) => overlaps(a, w.startFrom, w.startTo)),
    `a ${what} spans the start`,
  ).toBe(true);
  figures.verbsDuringFaults += attempts.filter((a) => overlaps(a, w.stopFrom, w.startTo)).length;
  return attempts;
}
