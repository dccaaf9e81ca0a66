#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Style gates: checkpatch --strict on the C files and the patches,
# kernel-doc on the new C files, the documentation's ReST and ABI entry,
# rustfmtcheck, and a clippy build of the Rust core (CLIPPY=1).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

status=0
CP="$KSRC/scripts/checkpatch.pl --strict --no-tree --quiet --show-types"

step "checkpatch --strict: C files"
for f in $(cd "$REPO" && find kernel include lib arch -name '*.[ch]' 2>/dev/null) \
	 $(cd "$REPO" && find tools -name '*.[ch]'); do
	$CP --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$REPO/$f" || status=1
done

step "checkpatch --strict: patches/"
for p in "$REPO"/patches/*.patch; do
	$CP --ignore FILE_PATH_CHANGES "$p" || status=1
done

step "kernel-doc -none -Wall: new C files"
for f in $(cd "$REPO" && find kernel include lib arch -name '*.[ch]' 2>/dev/null); do
	out=$("$KSRC/scripts/kernel-doc" -none -Wall "$REPO/$f" 2>&1)
	[ -z "$out" ] || { echo "$out"; status=1; }
done

step "Documentation: reStructuredText and the ABI entry"
# docutils as the documentation build reads it (scripts/doccheck.py); the
# ABI file through the kernel's own validator and its ReST rendering.
DOCPY=/usr/bin/python3
$DOCPY -c 'import docutils' 2>/dev/null || DOCPY=python3
abi=$(mktemp -d)
mkdir -p "$abi/testing"
cp "$REPO"/Documentation/ABI/testing/* "$abi/testing/"
perl "$KSRC/scripts/get_abi.pl" --dir "$abi" validate || status=1
perl "$KSRC/scripts/get_abi.pl" --dir "$abi" rest >"$abi/abi.rst" || status=1
$DOCPY "$REPO/scripts/doccheck.py" $(cd "$REPO" && find Documentation -name '*.rst' |
	sed "s|^|$REPO/|") "$abi/abi.rst" || status=1
rm -rf "$abi"

step "rust/proxy: every C export checked against its prototype"
# rust/proxy/export.rs: c_export!(name) after each #[no_mangle] function;
# Rust calls C only through kernel::bindings, never an extern block of its
# own, so that bindgen checks both directions.
for f in "$REPO"/rust/proxy/*.rs "$REPO"/rust/proxy/*/*.rs; do
	[ -e "$f" ] || continue
	# The function after each #[no_mangle] (also #[unsafe(no_mangle)],
	# indented, or with attributes between); #[export_name] is refused.
	for fn in $(awk '/^[ \t]*#\[(unsafe\()?no_mangle\)?\]/ { want = 1; next }
		want && match($0, /fn [A-Za-z0-9_]+/) {
			print substr($0, RSTART + 3, RLENGTH - 3); want = 0 }' "$f"); do
		grep -q "^c_export!($fn);" "$f" ||
			{ echo "${f#"$REPO"/}: $fn has no c_export!($fn)"; status=1; }
	done
	if grep -n 'export_name' "$f"; then
		echo "${f#"$REPO"/}: #[export_name]; use #[no_mangle] and c_export!"; status=1
	fi
	if grep -n 'extern "C" *{' "$f"; then
		echo "${f#"$REPO"/}: an extern block; use kernel::bindings"; status=1
	fi
done

step "sloc: C functions of the mechanism short, Rust's share at least 75%"
sloc=$(python3 "$REPO/scripts/sloc.py" --check) || { echo "$sloc"; status=1; }
echo "$sloc" | grep 'Rust is'

step "rustfmtcheck"
kmake -s rustfmtcheck || status=1

step "clippy (CLIPPY=1) on rust/proxy"
kmake CLIPPY=1 rust/proxy/cpu_proxy.o >"$OUT/logs/clippy.log" 2>&1 || status=1
grep -q 'CLIPPY .*rust/proxy/cpu_proxy.o' "$OUT/logs/clippy.log" ||
	{ echo "clippy did not run"; status=1; }
if grep -E -A8 '^(warning|error)' "$OUT/logs/clippy.log" | grep -q 'rust/proxy'; then
	grep -E -A8 '^(warning|error)' "$OUT/logs/clippy.log"
	status=1
fi
note "log: out/logs/clippy.log"

[ $status -eq 0 ] && echo "lint: clean" || echo "lint: FAILED"
exit $status
