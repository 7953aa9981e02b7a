#!/usr/bin/env bash
# Checks that Waypost's schema and every GraphQL example in its README generate
# clean TypeScript with GraphQL Code Generator's client preset.
#
#   clients/codegen/run.sh [README.md] [schema.graphql]
#
# (defaults: the repository's README.md and schema.graphql). Steps:
#   1. npm ci (npm install only when no package-lock.json exists yet);
#   2. extract every ```graphql block of the README into generated/operations/
#      (extract-readme-operations.mjs: anonymous operations are named
#      ReadmeBlockNN, SDL-only and fragment-only blocks are skipped; it says so);
#   3. validate each document against the schema with graphql-js, naming the
#      README line of each error;
#   4. graphql-codegen (codegen.yml, client preset) into generated/gql/; when
#      it fails, codegen runs again on each document alone to name the README
#      block(s) at fault, and then on the others so that they are still checked;
#   5. tsc --noEmit over generated/gql/ (tsconfig.json, strict).
# Exits non-zero when any step reports an error; prints "N passed, N failed"
# over the steps last.
set -uo pipefail
cd "$(dirname "$0")"
export NO_COLOR=1 FORCE_COLOR=0

readme=$(realpath "${1:-../../README.md}")
schema=$(realpath "${2:-../../schema.graphql}")
ops=generated/operations
out=generated/gql
passed=0
failed=0
step() { # step NAME STATUS
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "== $1: ok"; else failed=$((failed + 1)); echo "== $1: FAILED"; fi
}

if [ ! -s "$schema" ]; then
    echo "$schema is missing or empty (being regenerated?); try again once it is written" >&2
    exit 1
fi

echo "== install"
if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error || exit 1
else
    npm install --no-audit --no-fund --loglevel=error || exit 1
fi

echo "== extract the README's graphql blocks ($readme)"
node extract-readme-operations.mjs "$readme" "$ops" || exit 1

echo "== validate the documents against $schema"
node validate-operations.mjs "$schema" "$ops"
step validate $?

echo "== graphql-codegen (client preset)"
export CODEGEN_SCHEMA="$schema"
rm -rf "$out"
log=$(mktemp)
trap 'rm -f "$log"; rm -rf "${scratch:-}"' EXIT
npx --no-install graphql-codegen --config codegen.yml >"$log" 2>&1
codegen=$?
grep -v -e '^\[STARTED\]' -e '^\[COMPLETED\]' "$log"
if [ "$codegen" -ne 0 ]; then
    echo "-- codegen failed; running it on each document alone to find the culprits"
    scratch=$(mktemp -d)
    good=()
    for doc in "$ops"/*.graphql; do
        name=$(basename "$doc" .graphql)
        if CODEGEN_DOCUMENTS="$doc" CODEGEN_OUT="$scratch/$name/" \
            npx --no-install graphql-codegen --config codegen.yml >"$log" 2>&1; then
            good+=("$name")
        else
            echo "   FAILED $doc ($(head -1 "$doc" | sed 's/^# //; s/\. Generated.*//')):"
            grep -e '\[FAILED' -e 'Error' "$log" | awk '!seen[$0]++' | sed 's/^/     /'
        fi
    done
    if [ ${#good[@]} -gt 0 ]; then
        echo "-- codegen on the ${#good[@]} document(s) that pass alone, so that tsc still checks them"
        glob="$ops/{$(IFS=,; echo "${good[*]}"),}.graphql"
        CODEGEN_DOCUMENTS="$glob" npx --no-install graphql-codegen --config codegen.yml >"$log" 2>&1 \
            || { grep -v -e '^\[STARTED\]' -e '^\[COMPLETED\]' "$log"; }
    fi
fi
step codegen "$codegen"

echo "== tsc --noEmit over $out"
if ls "$out"/*.ts >/dev/null 2>&1; then
    npx --no-install tsc -p tsconfig.json
    step tsc $?
else
    echo "no generated TypeScript to check (codegen passed on no document)"
    step tsc 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
