#!/usr/bin/env bash
# Vendors the pinned GraphiQL page's scripts and styles into
# crates/gateway/assets/graphiql, so that Waypost serves them itself and
# GraphiQL works with no internet. `npm pack` checks each tarball against
# the registry's integrity hash; the files are copied as the packages ship
# them (the same bytes unpkg serves), each package's licence beside them,
# and MANIFEST records where each file came from and its sha256.
# Running it twice gives identical files.
#
# To update: change a version below, run this script, then the served
# paths follow (they carry the version); see README "GraphiQL offline".
set -euo pipefail
cd "$(dirname "$0")/.."

# package@version  file in the package  name served
FILES=(
    "react@18.3.1      umd/react.production.min.js      react.production.min.js"
    "react-dom@18.3.1  umd/react-dom.production.min.js  react-dom.production.min.js"
    "graphiql@3.8.3    graphiql.min.js                  graphiql.min.js"
    "graphiql@3.8.3    graphiql.min.css                 graphiql.min.css"
    "graphql-ws@5.16.0 umd/graphql-ws.min.js            graphql-ws.min.js"
)

dest=crates/gateway/assets/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

packages=$(printf '%s\n' "${FILES[@]}" | awk '{ print $1 }' | sort -u)
mkdir -p "$work/packs"
for package in $packages; do
    (cd "$work/packs" && npm pack --silent --json "$package" >"$work/${package%@*}.json")
done

rm -rf "$dest"
mkdir -p "$dest"
{
    echo "# Vendored by scripts/vendor-graphiql.sh; do not edit by hand."
    echo "# package@version tarball-integrity"
    for package in $packages; do
        name=${package%@*}
        integrity=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1]))[0].integrity)' "$work/$name.json")
        echo "package $package $integrity"
        mkdir -p "$work/$name"
        tar -xzf "$work/packs/$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1]))[0].filename)' "$work/$name.json")" -C "$work/$name"
        licence=
        for candidate in LICENSE LICENSE.md LICENSE.txt; do
            if [ -f "$work/$name/package/$candidate" ]; then
                licence=$candidate
                break
            fi
        done
        [ -n "$licence" ] || { echo "$package ships no LICENSE" >&2; exit 1; }
        cp "$work/$name/package/$licence" "$dest/LICENSE.$name"
    done
    echo "# package@version served-name sha256"
    for line in "${FILES[@]}"; do
        read -r package source served <<<"$line"
        cp "$work/${package%@*}/package/$source" "$dest/$served"
        echo "file $package $served $(sha256sum "$dest/$served" | cut -d' ' -f1)"
    done
} >"$dest/MANIFEST"

# The stylesheet must not send the browser to another host: every url() is
# a data: URL and nothing is @imported.
css="$dest/graphiql.min.css"
if grep -o 'url([^)]*' "$css" | grep -v '^url(["'\'']\{0,1\}data:' | grep -q .; then
    echo "graphiql.min.css loads something that is not a data: URL:" >&2
    grep -o 'url([^)]*' "$css" | grep -v '^url(["'\'']\{0,1\}data:' | cut -c1-120 >&2
    exit 1
fi
if grep -q '@import' "$css"; then
    echo "graphiql.min.css @imports another stylesheet" >&2
    exit 1
fi

echo "vendored into $dest:"
grep '^file ' "$dest/MANIFEST"
