// docs/settings.md, rendered from settings.ts's table (scripts/settings-doc.mjs writes it; a unit
// test fails when the file differs, so the table and the docs cannot drift).
import { SETTINGS, valueRule } from "./settings.js";

const row = (s: (typeof SETTINGS)[keyof typeof SETTINGS]): string => {
  const dflt = !("default" in s) ? "unset" : s.default === false ? "`0`" : `\`${String(s.default)}\``;
  return `| \`${s.env}\` | ${valueRule(s)} | ${dflt} | ${"testOnly" in s ? "test only" : "yes"} | ${s.doc} |`;
};

export function settingsDoc(): string {
  const all = Object.values(SETTINGS);
  return [
    "# Settings",
    "",
    "<!-- Generated from plugins/settings.ts by `node scripts/settings-doc.mjs`: edit the table there. -->",
    "",
    "Environment variables the plugins, the GC and `ceph-rbd-admin` read (on a host: the GC unit's",
    "EnvironmentFile, or the environment xapi-storage-script gives the plugins). A value that does",
    "not parse or is out of bounds is replaced by the default, with one warning in the log.",
    `Settings marked *test only* are honoured only with \`${SETTINGS.testMode.env}=1\`, which a production`,
    "host never sets.",
    "",
    "| Variable | Value | Default | Production | What it does |",
    "| --- | --- | --- | --- | --- |",
    ...all.map(row),
    "",
  ].join("\n");
}
