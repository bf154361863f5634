#!/usr/bin/env bash
# pgo.sh: regenerates cmd/dustm/default.pgo, the CPU profile from which `go build` optimizes
# dustm (profile-guided optimization: Go uses a default.pgo in the main package's folder
# unless built with -pgo=off). Commit the new profile; regenerate it when the hot paths change
# (the STM, the upgrade engine, STMBench7's operations), not on every commit: a stale profile
# only optimizes less.
#
# The profile merges representative runs of the binary built without a profile: STMBench7's
# steady read-dominated mix (-w r --no-traversals --no-sms, the big structure) on stm at 1
# and 2 threads, on stm-plain and on coarse, the read-write mix on stm, and an upgrade of stm
# (dates, lazy) with the responsiveness probe, as the upgrade experiments run it.
#
# Running time: about 6 runs of the given length (default 10 s) plus a second each.
# Usage: scripts/pgo.sh [seconds per run]
set -euo pipefail
cd "$(dirname "$0")/.."

len=${1:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -pgo=off -o "$tmp/dustm" ./cmd/dustm

run() {
	local name=$1
	shift
	"$tmp/dustm" bench --size big -l "$len" --cpuprofile "$tmp/$name.prof" "$@" >/dev/null 2>"$tmp/$name.err" ||
		{ cat "$tmp/$name.err" >&2; exit 1; }
}
steady=(-w r --no-traversals --no-sms)
run stm-1 -g stm "${steady[@]}" -t 1
run stm-2 -g stm "${steady[@]}" -t 2
run stm-plain-2 -g stm-plain "${steady[@]}" -t 2
run coarse-2 -g coarse "${steady[@]}" -t 2
run stm-rw-2 -g stm -w rw --no-traversals --no-sms -t 2
run stm-upgrade -g stm "${steady[@]}" -t 1 --gomaxprocs 4 --gogc 400 --memlimit 4GiB --upgrade dates

go tool pprof -proto "$tmp"/*.prof >cmd/dustm/default.pgo
echo "cmd/dustm/default.pgo: $(wc -c <cmd/dustm/default.pgo) bytes"
