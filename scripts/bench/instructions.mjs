// Instructions executed by a command and by `node -e 0`, alternating (valgrind's callgrind): the
// same on a quiet or a loaded machine, where wall time is noise. Undefined without valgrind.
// About 20 s a pair.
import { spawnSync } from "node:child_process";
import { log } from "./base.mjs";
import { run } from "./process.mjs";
import { fmt, fmtRatio, fmtSummary, median, pairedRatio, summary } from "./stats.mjs";

async function count(args, input, env) {
  const r = await run("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, ...args], { input, env });
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.code !== 0 || !m) throw new Error(`valgrind exited ${r.code ?? r.signal}: ${r.stderr.slice(-500)}`);
  return Number(m[1]);
}

// `what` names the command in the log and the text; `args` run under this Node.
export async function againstNode(topic, what, runs, args, input, env) {
  if (spawnSync("valgrind", ["--version"]).status !== 0) return undefined;
  const node = [];
  const verb = [];
  for (let i = 0; i < runs; i++) {
    node.push(await count(["-e", "0"], undefined, env));
    verb.push(await count(args, input, env));
  }
  log(`${topic}: instructions: node -e 0 ${fmt(median(node) / 1e6)} M, ${what} ${fmt(median(verb) / 1e6)} M`);
  return { what, runs, node: summary(node), verb: summary(verb), ratio: pairedRatio(verb, node) };
}

export const millions = (x) => `${fmt(x / 1e6)} M`;

// The report's sentence for a measurement of againstNode (undefined: valgrind missing).
export const instructionsText = (ins, what) =>
  ins
    ? `Instructions executed (valgrind --tool=callgrind, ${ins.runs} runs of each, alternating; independent of the load), median (min–max): \`node -e 0\` ${fmtSummary(ins.node, millions)}, \`${ins.what}\` ${fmtSummary(ins.verb, millions)}; ratio per pair ${fmtSummary(ins.ratio, fmtRatio)}.`
    : `Instruction count of ${what}: skipped, valgrind is not installed.`;

// Its headline row: `what` the measure, `who` the command in the ratio's name.
export const instructionsHeadline = (ins, what, who) =>
  ins
    ? [
        {
          what: `${what}, instructions`,
          ours: millions(ins.verb.median),
          theirs: `node -e 0: ${millions(ins.node.median)}`,
          ratio: ins.ratio,
          of: `${who} / node -e 0 (instructions, valgrind)`,
        },
      ]
    : [];
