// One line per reliability suite, `RELIABILITY <suite> key=value ...`, which
// scripts/reliability-report.mjs collects from vitest's output.
export function summary(suite: string, figures: Record<string, string | number | boolean>): void {
  const fields = Object.entries(figures).map(([k, v]) => `${k}=${String(v).replace(/\s+/g, "_")}`);
  console.log(`RELIABILITY ${suite} ${fields.join(" ")}`);
}
