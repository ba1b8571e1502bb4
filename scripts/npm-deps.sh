#!/usr/bin/env bash
# Installs the npm dependencies: `npm ci` from the lockfile, or, where this npm refuses its own
# lockfile (npm 11 with omit-lockfile-registry-resolved drops other platforms' optional
# packages from the lock, then `npm ci` calls it out of sync), `npm install` from the same lock.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! npm ci --no-audit --no-fund >/tmp/npm-ci.$$.log 2>&1; then
  echo "npm-deps: npm ci refused the lockfile ($(grep -m1 -o 'Missing: [^ ]*' /tmp/npm-ci.$$.log || echo 'see its log')); using npm install" >&2
  npm install --no-audit --no-fund
fi
rm -f /tmp/npm-ci.$$.log
