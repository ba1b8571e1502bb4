// Each reliability suite's figures in one line, from what its run printed (reliability-report.mjs
// collects them): undefined when the suite printed none (it did not finish).
//   r         the suite's own `RELIABILITY <suite> k=v ...` line, as an object
//   lines     every suite's and scenario's line; scenarios: a pool suite's scenario names
//   mixed     mixed-load's "N ops, N anomalies" match; hostile: hostile-input's match
//   crash     crash.test.ts's boundaries, counted by the report's preload
const seconds = (ms) => Math.round(Number(ms) / 100) / 10;

const FIGURES = {
  crash: ({ crash: c }) => `boundaries: ${c.tried} tried (${c.distinct} distinct points), ${c.killed} killed there, ${c.converged} converged`,
  "gc-crash": ({ r }) =>
    r.boundaries && `boundaries: ${r.boundaries} tried, ${r.reached} killed there, ${r.converged} converged; unreachable: ${r.unreachable}`,
  "mixed-load": ({ r, mixed: m }) =>
    m &&
    `${m[1]} ops, ${m[2]} anomalies; refusals: ${r.novol ?? "?"} Volume_does_not_exist, ${r.busy ?? "?"} Busy, ${r.depth ?? "?"} depth; ${r.listings ?? "?"} SR.ls checked; ${r.strays_before_gc ?? "?"} strays left to the GC`,
  "hostile-input": ({ hostile: h }) => h && `${h[1]} inputs tried, ${h[2]} clean errors, ${h[3]} changes`,
  faults: ({ r }) =>
    r.injected &&
    `${r.injected} faults injected, ${r.recovered} recovered; ${r.verbs_during_faults} verbs ran through them; slowest failure ${seconds(r.max_fail_ms)} s; back to Healthy within ${seconds(r.max_back_to_healthy_ms)} s`,
  security: ({ r }) =>
    r.verbs &&
    `${r.secrets} secrets looked for in ${r.verbs} verb runs (${r.failing_verbs} failing), ${r.process_samples} process samples, ${r.child_processes_seen} child processes; ${r.keyrings_checked} keyrings 0600`,
  "nbd-load": ({ r }) =>
    r.seconds &&
    `${r.seconds} s of mixed random I/O on two connections, ${r.iops} IOPS; ${r.written_bytes} bytes written, ${r.verified_bytes} bytes checked (crc32c) after the load`,
};

// The pool suites: each scenario's line, as printed.
const scenarioFigures = ({ lines, scenarios = [] }) => {
  const found = scenarios.filter((sc) => lines[sc]);
  if (found.length === 0) return undefined;
  const kv = (o) => Object.entries(o).map(([k, v]) => `${k}=${v}`);
  return found.map((sc) => `${sc}: ${kv(lines[sc]).join(" ")}`).join("; ");
};

export const figuresOf = (name, ctx) => (FIGURES[name] ?? scenarioFigures)(ctx) || undefined;
