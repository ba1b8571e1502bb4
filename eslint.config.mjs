// Lint as architecture: besides typescript-eslint's recommended rules, the imports encode the
// layering. Shared code (plugins/) never imports a plugin's; the two plugins never import each
// other; only the Ceph gateway and the runtime start processes, always with an argument array
// and never through a shell. Formatting is Prettier's (.prettierrc.json), checked by `npm run lint`.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

// Where a child process may be started: the gateway to the Ceph tools, the runtime's helper for
// the plugins' own processes (GC worker, doctor's probes), and the two spawns every verb makes,
// kept raw for start-up time (each file says its figure): the session's Python and the syslog
// hand-off.
const SPAWNERS = ["plugins/ceph/exec.ts", "plugins/runtime/child.ts", "plugins/ceph/session-process.ts", "plugins/log.ts"];

const noShell = [
  { selector: "Property[key.name='shell']", message: "Nothing runs through a shell: pass the program and an argument array." },
  { selector: "TaggedTemplateExpression[tag.name=/^(execa|execaSync|\\$)$/]", message: "A command line as one string: pass an argument array." },
  {
    selector: "CallExpression[callee.name=/^(execa|execaSync)$/][arguments.1.type!='ArrayExpression']",
    message: "execa takes the program and an argument array literal.",
  },
];

const processImports = (allowed) => ({
  paths: [
    ...(allowed
      ? [{ name: "node:child_process", importNames: ["exec", "execSync"], message: "exec runs a shell: use execa with an argument array." }]
      : [
          { name: "node:child_process", message: "Only the Ceph gateway and the runtime start processes (plugins/ceph/exec.ts, plugins/runtime/child.ts)." },
          { name: "child_process", message: "Only the Ceph gateway and the runtime start processes." },
          { name: "execa", message: "Only the Ceph gateway and the runtime start processes." },
        ]),
    { name: "execa", importNames: ["$", "execaCommand", "execaCommandSync"], message: "A command line as one string: use execa with an argument array." },
  ],
});

// Files that may not import from `forbidden`, nor start processes.
const layer = (files, forbidden, message, ignores = []) => ({
  files,
  ignores,
  rules: { "no-restricted-imports": ["error", { ...processImports(false), patterns: [{ group: forbidden, message }] }] },
});

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "scripts/bench/report/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // Input validation names control characters on purpose (they must never reach a tool).
      "no-control-regex": "off",
      "no-restricted-syntax": ["error", ...noShell],
    },
  },
  layer(["plugins/**/*.ts"], ["**/volume/**", "**/datapath/**"], "Shared code never imports a plugin's.", SPAWNERS),
  layer(["volume/**/*.ts"], ["**/datapath/**"], "The volume plugin never imports the datapath plugin's code: share it through plugins/."),
  layer(["datapath/**/*.ts"], ["**/volume/**"], "The datapath plugin never imports the volume plugin's code: share it through plugins/."),
  { files: SPAWNERS, rules: { "no-restricted-imports": ["error", processImports(true)] } },
  { files: ["test/**/*.ts", "scripts/**/*.mjs", "*.config.*"], rules: { "no-restricted-imports": "off" } },
);
