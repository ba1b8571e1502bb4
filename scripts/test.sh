#!/usr/bin/env bash
# The test command (npm test): installs what the tests need if it is missing (Ceph and QEMU
# from Debian), type-checks, then runs every kind of test (vitest.config.ts's projects: unit,
# integration, reliability, packaging, bench). The suite builds the install tree into a
# temporary directory of its own and starts a throwaway local cluster, and removes both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-ceph.sh
[ -d node_modules ] || bash scripts/npm-deps.sh
npx tsc --noEmit -p .
report=$(mktemp /tmp/vitest-report.XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@" || status=$?
# One plain closing line that any CI reader understands.
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$report" || true
rm -f "$report"
exit "$status"
