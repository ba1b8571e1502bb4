// classify, summarise and CephError on what the rbd, rados and ceph CLIs really print; classifyErrno
// on the errno values librados raises.
import { describe, expect, it } from "vitest";
import { CephError, type CephErrorKind, classify, classifyErrno, summarise } from "../../plugins/ceph/errors.js";
import { SmapiError } from "../../plugins/wire/errors.js";

// errno values both a CLI's exit status and librados's errors carry, and their kinds.
const ERRNO_KINDS = [
  [2, "not_found"],
  [13, "denied"],
  [16, "busy"],
  [17, "exists"],
  [22, "invalid"],
  [39, "not_empty"],
  [108, "unreachable"],
  [110, "timeout"],
] as const;

describe("classify", () => {
  const cases: Array<[number | undefined, string, CephErrorKind]> = [
    [17, "rbd: create error: (17) File exists", "exists"],
    [2, "rbd: error opening image nope: (2) No such file or directory", "not_found"],
    [16, "error 16: (16) Device or resource busy", "busy"],
    [1, "rbd: couldn't connect to the cluster!", "unreachable"],
    [22, "rbd: shrinking an image is only allowed with the --allow-shrink flag", "invalid"],
    [2, "Error ENOENT: [errno 2] RBD image not found (Image rbd/P does not have a parent)", "not_found"],
    [1, "error getting omap keys rbd/nonexist: (2) No such file or directory", "not_found"],
    [1, "[errno 110] RADOS timed out (error connecting to the cluster)", "unreachable"],
    [
      16,
      "Removing image: 0% complete...failed.\nrbd: error: image still has watchers\n" +
        "This means the image is still open or the client using it crashed. Try again after closing/unmapping it or waiting 30s for the crashed client to timeout.",
      "busy",
    ],
    [39, "rbd: image has snapshots - these must be deleted with 'rbd snap purge' before the image can be removed.", "not_empty"],
    [13, "rbd: error opening pool 'p': (13) Permission denied", "denied"],
  ];
  it.each(cases)("exit %s, %j -> %s", (exit, stderr, kind) => {
    expect(classify(exit, stderr)).toBe(kind);
  });

  it.each([...ERRNO_KINDS, [1, "failed"], [undefined, "failed"]] as const)(
    "falls back on the exit status %s -> %s when stderr says nothing known",
    (exit, kind) => {
      expect(classify(exit, "rbd: something odd happened")).toBe(kind);
    },
  );

  it("lets the words win over the exit status", () => {
    expect(classify(1, "rbd: error opening image nope: (2) No such file or directory")).toBe("not_found");
  });
});

describe("summarise", () => {
  it("strips Ceph's log prefixes and keeps the last 3 meaningful lines", () => {
    const stderr = [
      "2026-11-21T08:13:49.527+0000 7fd89d698380 -1 Errors while parsing config file!",
      "2026-11-21T08:13:49.527+0000 7fd89d698380 -1 did not load config file, using default settings.",
      "2026-11-21T08:13:49.531+0000 7fd89d698380 -1 librbd::image::OpenRequest: failed to retrieve image id: (2) No such file or directory",
      "",
      "2026-11-21T08:13:49.531+0000 7fd88affd700  0 librbd::ImageState: 0x5581 failed to open image: (2) No such file or directory",
      "rbd: error opening image nope: (2) No such file or directory",
      "   ",
    ].join("\n");
    expect(summarise(stderr)).toBe(
      "librbd::image::OpenRequest: failed to retrieve image id: (2) No such file or directory / " +
        "librbd::ImageState: 0x5581 failed to open image: (2) No such file or directory / " +
        "rbd: error opening image nope: (2) No such file or directory",
    );
  });

  it("leaves lines without a prefix alone", () => {
    expect(summarise("rbd: create error: (17) File exists\n")).toBe("rbd: create error: (17) File exists");
    expect(summarise("Error ENOENT: [errno 2] RBD image not found")).toBe("Error ENOENT: [errno 2] RBD image not found");
  });

  it("gives an empty string for an empty or config-only stderr", () => {
    expect(summarise("")).toBe("");
    expect(summarise("2026-11-21T08:13:49.527+0000 7fd89d698380 -1 did not load config file, using default settings.\n")).toBe("");
  });

  it("caps the summary at 1000 characters", () => {
    expect(summarise("x".repeat(5000))).toHaveLength(1000);
  });
});

describe("CephError", () => {
  it.each([
    ["unreachable", "Ceph_unreachable"],
    ["timeout", "Ceph_unreachable"],
    ["not_found", "Ceph_error"],
    ["exists", "Ceph_error"],
    ["busy", "Ceph_error"],
    ["invalid", "Ceph_error"],
    ["failed", "Ceph_error"],
  ] as const)("%s travels as SR_BACKEND_FAILURE [%s, command: stderr]", (kind, label) => {
    const e = new CephError(kind, "rbd info rbd/x", "some words");
    expect(e).toBeInstanceOf(SmapiError);
    expect(e.code).toBe("SR_BACKEND_FAILURE");
    expect(e.params).toEqual([label, "rbd info rbd/x: some words"]);
    expect(e.kind).toBe(kind);
  });

  it("names the kind when stderr is empty", () => {
    expect(new CephError("busy", "rbd rm rbd/x", "").params).toEqual(["Ceph_error", "rbd rm rbd/x: busy"]);
  });
});

describe("classifyErrno (the librados session's failures)", () => {
  // Unlike a CLI's exit status 1, librados's EPERM is a refusal.
  it.each([...ERRNO_KINDS, [1, "denied"], [95, "unsupported"], [0, "failed"], [5, "failed"]] as const)("errno %s -> %s", (errno, kind) => {
    expect(classifyErrno(errno)).toBe(kind);
  });
});
