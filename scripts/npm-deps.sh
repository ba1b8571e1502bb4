#!/usr/bin/env bash
# Installs the npm dependencies exactly as the committed lockfile pins them (`npm ci`). The lock
# lists every platform's optional packages, so that npm ci accepts it on any machine.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
