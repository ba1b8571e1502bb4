#!/usr/bin/env bash
# npm run lint: ESLint (its rules, and the layering the imports must follow: eslint.config.mjs),
# Prettier's formatting, and the session helper's Python: pyflakes (Debian's pyflakes3, installed
# if missing), and a compile by XCP-ng 8.3's Python, 3.6, where this machine has one.
set -euo pipefail
cd "$(dirname "$0")/.."
npx eslint .
npx prettier --check --log-level warn .
if ! command -v pyflakes3 >/dev/null; then
  ((EUID == 0)) || { echo "lint: pyflakes3 is missing and installing it needs root" >&2; exit 1; }
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pyflakes3; } >/dev/null
fi
# The helper is every .py of plugins/ceph/ (its entry and its modules; scripts/build.mjs copies the same).
helper=(plugins/ceph/*.py)
pyflakes3 "${helper[@]}" test/helpers/stub-rados/rados.py
py36=${CEPH_RBD_PYTHON36:-$HOME/.pyenv/versions/3.6.15/bin/python3}
if [[ -x $py36 ]]; then
  "$py36" -c 'import sys
for f in sys.argv[1:]:
    compile(open(f).read(), f, "exec")' "${helper[@]}"
else
  echo "lint: no Python 3.6 at $py36: the 3.6 compile check did not run" >&2
fi
echo "lint: clean"
