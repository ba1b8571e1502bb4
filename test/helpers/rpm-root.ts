// The packages installed into a scratch root, seen at the real paths in a private mount namespace
// (unshare -m): the root's usr/libexec and usr/sbin are overlaid on the host's, so the launchers'
// absolute shebangs (/usr/libexec/xcp-ceph-rbd/node/bin/node) resolve as on a host; /run/ceph-rbd
// is an empty tmpfs there and `systemctl` a recording stub, so the scriptlets touch nothing of
// this machine (nor the GC workers of other test files).
import { spawnSync } from "node:child_process";
import { lstatSync } from "node:fs";
import { rpmq, sh, type Run } from "./rpm.js";

export const whyNoNamespace = (): string | undefined =>
  spawnSync("unshare", ["-m", "true"]).status === 0
    ? undefined
    : "no private mount namespaces here (unshare -m): the installed tree cannot be run at its real paths";

// Whether a path exists as such (a link counts, even one whose target is only in the namespace).
export const present = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

// argv that runs a verb file the way xapi-storage-script does in SMAPI tracing mode: as Python.
export const tracing = (file: string): string[] => [
  "/usr/bin/python3",
  "-c",
  `import runpy,sys; sys.argv=[${JSON.stringify(file)},'--json']; runpy.run_path(${JSON.stringify(file)}, run_name='__main__')`,
];

export interface ScratchRoot {
  // Runs argv inside the private namespace where the scratch root is installed at the real paths.
  inRoot(argv: string[], input?: string, env?: Record<string, string>): Run;
  scriptlet(tag: string): string;
  runScriptlet(tag: string, arg: string): Run;
}

// The root at rootDir, with the stubs (systemctl) in <work>/stubs; the main package's scriptlets.
export function scratchRoot(at: { readonly rootDir: string; readonly work: string; readonly main: string }): ScratchRoot {
  const inRoot = (argv: string[], input = "", env: Record<string, string> = {}): Run => {
    const setup = [
      "set -e",
      `mkdir -p "$R/.work/libexec" "$R/.work/sbin"`,
      `mount -t overlay overlay -o "lowerdir=/usr/libexec,upperdir=$R/usr/libexec,workdir=$R/.work/libexec" /usr/libexec`,
      `mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$R/usr/sbin,workdir=$R/.work/sbin" /usr/sbin`,
      // As tmpfiles.d makes it at boot: root's alone.
      `mkdir -p /run/ceph-rbd && mount -t tmpfs -o mode=0700 tmpfs /run/ceph-rbd`,
      'exec "$@"',
    ].join("\n");
    return sh("unshare", ["-m", "bash", "-c", setup, "in-root", ...argv], {
      input,
      env: {
        R: at.rootDir,
        PATH: `${at.work}/stubs:${process.env.PATH}`,
        CEPH_RBD_LOG_SYSLOG: "off",
        CEPH_RBD_LOG_STDERR: "warning",
        CEPH_RBD_GC: "off",
        ...env,
      },
    });
  };
  const scriptlet = (tag: string) => rpmq("-qp", "--qf", `%{${tag}}`, at.main);
  return { inRoot, scriptlet, runScriptlet: (tag, arg) => inRoot(["sh", "-c", scriptlet(tag), tag, arg]) };
}
