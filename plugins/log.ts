// Logging for verbs and the GC: stderr at once, and syslog facility local2, which XCP-ng routes
// to /var/log/SMlog, in SMAPIv3's own line format. Never stdout: that belongs to xapi.
//
// Node has no client for /dev/log (a datagram socket), so syslog lines are buffered and handed
// to util-linux `logger` in one batch when the process flushes (at exit for a verb, per pass for
// the GC). One small spawn per verb keeps the --json path cheap; a verb killed mid-way still
// leaves its lines on stderr.
import { spawn } from "node:child_process";
import { setting, takeSettingWarnings } from "./settings.js";

export type Level = "debug" | "info" | "warning" | "error";
const rank: Record<Level, number> = { debug: 0, info: 1, warning: 2, error: 3 };
// syslog severities; local2 is facility 18.
const severity: Record<Level, number> = { debug: 7, info: 6, warning: 4, error: 3 };
const LOCAL2 = 18 * 8;

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  flush(): void;
}

// Control characters from callers (dbg, names) must not forge extra log lines.
const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

export function createLogger(dbg: string): Logger {
  const stderrLevel = setting("logStderr");
  const syslogLevel = setting("logSyslog");
  const pending: string[] = [];
  const tag = `[${process.pid}] - `;
  const write = (level: Level, msg: string): void => {
    const line = `${tag}${level.toUpperCase()} - [${oneLine(dbg)}] ${oneLine(msg)}`;
    if (stderrLevel !== "off" && rank[level] >= rank[stderrLevel]) process.stderr.write(`SMAPIv3: ${line}\n`);
    if (syslogLevel !== "off" && rank[level] >= rank[syslogLevel]) pending.push(`<${LOCAL2 + severity[level]}>${line}`);
  };
  // A setting with an unusable value is reported once, by the first line logged after it is read.
  const emit = (level: Level, msg: string): void => {
    for (const w of takeSettingWarnings()) write("warning", w);
    write(level, msg);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warning: (m) => emit("warning", m),
    error: (m) => emit("error", m),
    flush: () => {
      if (pending.length === 0) return;
      const lines = pending.splice(0).join("\n") + "\n";
      // Raw, not through execa (plugins/runtime/child.ts): most verbs start no other process, and
      // loading execa's modules for this one spawn made every verb dearer (Plugin.Query: 171 M
      // instructions with this spawn, 195 M through execa; node -e 0: 84 M).
      try {
        const child = spawn("logger", ["--prio-prefix", "-t", "SMAPIv3"], { stdio: ["pipe", "ignore", "ignore"], detached: true });
        child.on("error", () => undefined);
        child.stdin.on("error", () => undefined);
        child.stdin.end(lines);
        child.unref();
      } catch {
        // No logger on this host: stderr already has every line.
      }
    },
  };
}
