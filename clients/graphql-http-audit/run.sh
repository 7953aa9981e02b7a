#!/usr/bin/env bash
# Audit a running Waypost (or any GraphQL) endpoint against the GraphQL over
# HTTP spec with graphql-http's server audits.
#
#   clients/graphql-http-audit/run.sh http://127.0.0.1:8080/graphql [--json results.json]
#
# Installs the pinned dependencies (npm ci from package-lock.json; npm install
# only when no lock exists yet), prints every audit result, and exits non-zero
# when any MUST or SHOULD audit is not 'ok'. Needs Node >= 20 (built-in fetch).
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -lt 1 ]; then
  echo "usage: $0 URL [--json FILE]" >&2
  exit 2
fi

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

exec node audit.mjs "$@"
