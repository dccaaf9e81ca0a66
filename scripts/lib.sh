# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the cpu-proxy scripts. Source, don't run.

# The kernel we patch: Debian's linux-source-6.12, pinned. If the archive
# no longer offers the pin, setup.sh falls back to the newest 6.12.y it
# offers and says so; the patches must still apply.
KPKG=linux-source-6.12
KPIN=6.12.117-1~deb12u1

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$REPO/out}
KSRC=$OUT/linux          # extracted, patched, overlaid tree
KOBJ=$OUT/build          # O= object directory
LLVM_BIN=/usr/lib/llvm-19/bin
export PATH=$LLVM_BIN:$HOME/.cargo/bin:$PATH

# Files of this repo copied over the extracted tree (new kernel files).
OVERLAY_DIRS="rust/proxy kernel include arch lib Documentation tools"

JOBS=${JOBS:-$(( $(nproc) + 1 ))}

if [ -t 1 ]; then
	C_B=$'\e[1m'; C_R=$'\e[31m'; C_G=$'\e[32m'; C_Y=$'\e[33m'; C_0=$'\e[0m'
else
	C_B=; C_R=; C_G=; C_Y=; C_0=
fi

# Within make check (CHECK_T0: its start, in seconds since the epoch),
# each step says when it began, so that CI's output shows where time goes.
step() {
	local at=
	[ -z "${CHECK_T0:-}" ] ||
		at=$(printf '[%d:%02d] ' $(( ($(date +%s) - CHECK_T0) / 60 )) $(( ($(date +%s) - CHECK_T0) % 60 )))
	echo "${C_B}==> $at$*${C_0}"
}
note() { echo "    $*"; }
warn() { echo "${C_Y}${C_B}WARNING: $*${C_0}" >&2; }
die()  { echo "${C_R}${C_B}error: $*${C_0}" >&2; exit 1; }

# run_logged LOG CMD...: run CMD with output to LOG, showing progress (the
# elapsed time and the last line of LOG) while it runs. On failure, print
# the tail of LOG and its path, and return the command's status.
run_logged() {
	local log=$1; shift
	local start=$SECONDS pid rc last shown=0
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		last=$(tail -n 1 "$log" 2>/dev/null | cut -c1-90)
		if [ -t 1 ]; then
			printf '\r\e[K    [%3ds] %s' $((SECONDS - start)) "$last"
		elif (( (SECONDS - start) / 30 > shown )); then
			shown=$(( (SECONDS - start) / 30 ))
			printf '    [%3ds] %s\n' $((SECONDS - start)) "$last"
		fi
	done
	wait "$pid"; rc=$?
	[ -t 1 ] && printf '\r\e[K'
	if [ $rc -ne 0 ]; then
		echo "${C_R}---- last 40 lines of $log ----${C_0}" >&2
		tail -n 40 "$log" >&2
		echo "${C_R}---- failed ($rc) after $((SECONDS - start))s; full log: $log${C_0}" >&2
	else
		note "done in $((SECONDS - start))s (log: ${log#"$REPO"/})"
	fi
	return $rc
}

# ccache keys on paths relative to the checkout, so that a fresh clone (as
# CI makes) reuses what an earlier build on this machine compiled.
export CCACHE_BASEDIR=$REPO CCACHE_NOHASHDIR=1

kmake() {
	local cc=clang
	command -v ccache >/dev/null && cc="ccache clang"
	make -C "$KSRC" O="$KOBJ" ARCH=x86_64 LLVM=1 CC="$cc" "$@"
}
