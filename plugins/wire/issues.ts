// One line of English per validation issue. zod/mini carries no locale (that keeps it small),
// so the words are ours; messages we gave a check ourselves are kept as they are.
import type * as z from "zod/mini";

type Issue = z.core.$ZodIssue;

const what = (i: Issue): string => {
  switch (i.code) {
    case "invalid_type":
      return `expected ${i.expected}`;
    case "unrecognized_keys":
      return `unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    case "too_small":
      return i.origin === "string" || i.origin === "array" ? `must have at least ${i.minimum} element(s)/character(s)` : `must be at least ${i.minimum}`;
    case "too_big":
      return i.origin === "string" || i.origin === "array" ? `must have at most ${i.maximum} element(s)/character(s)` : `must be at most ${i.maximum}`;
    case "invalid_format":
      return `must be a valid ${i.format}`;
    case "invalid_value":
      return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_union":
      return "matches none of the allowed forms";
    default:
      return i.message;
  }
};

export function describeIssue(i: Issue, root = "params"): string {
  const where = i.path.length > 0 ? i.path.join(".") : root;
  const text = i.message && i.message !== "Invalid input" ? i.message : what(i);
  return `${where}: ${text}`;
}

export const describeIssues = (issues: readonly Issue[]): string =>
  issues
    .slice(0, 5)
    .map((i) => describeIssue(i))
    .join("; ");
