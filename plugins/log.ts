// Logging for verbs and the GC: stderr at once, and syslog facility local2, which XCP-ng routes
// to /var/log/SMlog, in SMAPIv3's own line format. Never stdout: that belongs to xapi.
//
// Node has no client for /dev/log (a datagram socket), so syslog lines are buffered and handed
// on in one batch when the process flushes (at exit for a verb, per pass for the GC): to the
// session service when this process is connected to it (a sink, below), else to util-linux
// `logger`. A verb killed mid-way still leaves its lines on stderr.
import { childProcess } from "./builtin.js";
import { setting, takeSettingWarnings } from "./settings.js";
import { writeStd } from "./std-write.js";

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
  // Hands the syslog lines on; `false` forgets them instead (stderr has them).
  flush(toSyslog?: boolean): void;
}

// A syslog line: its severity (syslog's numbers, facility local2 implied) and its text.
export type SyslogLine = readonly [severity: number, text: string];

// Takes a batch of lines, or returns false (then `logger` gets them). One at a time: the session
// service's connection, while this process has one (service-reach.ts).
type Sink = (lines: readonly SyslogLine[]) => boolean;
let sink: Sink | undefined;
export const setSyslogSink = (s: Sink): void => {
  sink = s;
};
export const clearSyslogSink = (s: Sink): void => {
  if (sink === s) sink = undefined;
};

// Handed to `logger` through a pipe (the spawn costs a verb 3.5 ms: profiled Volume.stat).
function viaLogger(lines: readonly SyslogLine[]): void {
  const { spawn } = childProcess();
  const text = lines.map(([sev, line]) => `<${LOCAL2 + sev}>${line}`).join("\n") + "\n";
  try {
    const child = spawn("logger", ["--prio-prefix", "-t", "SMAPIv3"], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    child.on("error", () => undefined);
    child.stdin.on("error", () => undefined);
    child.stdin.end(text);
    child.unref();
  } catch {
    // No logger on this host: stderr already has every line.
  }
}

// Control characters from callers (dbg, names) must not forge extra log lines.
const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

export function createLogger(dbg: string): Logger {
  const stderrLevel = setting("logStderr");
  const syslogLevel = setting("logSyslog");
  const pending: SyslogLine[] = [];
  const tag = `[${process.pid}] - `;
  const write = (level: Level, msg: string): void => {
    const line = `${tag}${level.toUpperCase()} - [${oneLine(dbg)}] ${oneLine(msg)}`;
    if (stderrLevel !== "off" && rank[level] >= rank[stderrLevel]) void writeStd(2, `SMAPIv3: ${line}\n`);
    if (syslogLevel !== "off" && rank[level] >= rank[syslogLevel]) pending.push([severity[level], line]);
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
    flush: (toSyslog = true) => {
      const lines = pending.splice(0);
      if (lines.length === 0 || !toSyslog) return;
      // Raw, not through execa (plugins/runtime/child.ts): loading execa's modules for this one
      // spawn made every verb dearer (Plugin.Query: 171 M instructions with this spawn, 195 M
      // through execa; node -e 0: 84 M).
      if (!sink?.(lines)) viaLogger(lines);
    },
  };
}
