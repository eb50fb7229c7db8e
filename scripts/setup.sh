#!/usr/bin/env bash
# Installs everything sopsync's demo, tests and benchmark need, into this folder, pinned.
# Idempotent: each step is skipped when what it would install is already there at the pinned version.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools="$root/.tools"
mkdir -p "$tools/bin"

SOPS_VERSION=v3.11.0
AGE_VERSION=v1.3.1
ACTIONLINT_VERSION=v1.7.12

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required but not installed ($2)" >&2; exit 1; }
}
need node "Node.js >= 20"
need npm "npm, shipped with Node.js"
need python3 "Python >= 3.10 with the venv module"
need go "Go >= 1.25, used to build the pinned sops, age and actionlint binaries"
need gpg "GnuPG (Debian: apt-get install gnupg), used by the tests to read public PGP-encrypted sops files"

# npm packages: reinstall only when the lock file changed since the last install.
stamp="$tools/npm.stamp"
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi

# moto in a project-local venv.
venv="$tools/venv"
if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("moto") != "5.2.5")' 2>/dev/null; then
  echo "setup: installing moto into .tools/venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r scripts/python-requirements.txt -c scripts/python-constraints.txt >&2
fi

# Go binaries, each installed once per pinned version.
go_tool() { # name module version
  local marker="$tools/bin/.$1-$3"
  if [ ! -x "$tools/bin/$1" ] || [ ! -f "$marker" ]; then
    echo "setup: building $1 $3 with go install" >&2
    GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "$2@$3" >&2
    rm -f "$tools/bin/.$1-"*
    touch "$marker"
  fi
}
go_tool sops github.com/getsops/sops/v3/cmd/sops "$SOPS_VERSION"
go_tool age filippo.io/age/cmd/age "$AGE_VERSION"
go_tool age-keygen filippo.io/age/cmd/age-keygen "$AGE_VERSION"
go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"

# The CLI as users run it (bin -> dist/), rebuilt when any source is newer than the build.
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -print -quit)" ]; then
  echo "setup: building dist/" >&2
  npx tsc -p tsconfig.build.json
fi
