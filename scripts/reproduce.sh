#!/usr/bin/env bash
# reproduce.sh: runs every built-in experiment, each ending with its figures and REPORT.md
# under results/NAME/TIMESTAMP/.
#
# Running time: about 2.5 hours on a 2-core machine (`dustm experiment --list` gives each
# experiment's estimate; the upgrade experiments use the big structure):
#   upgrade-latency ~25 min, upgrade-overhead ~13 min, pause-vs-size ~1.5 h (up to the giant structure),
#   scalability ~17 min, stm-micro ~4 min, quick ~2 min.
# Every experiment runs even if an earlier one had failed runs; the script exits 1 if any did.
# An interrupted experiment resumes with `bin/dustm experiment --resume results/NAME/TIMESTAMP`.
#
# Usage: scripts/reproduce.sh [flags for every experiment, e.g. --set threads=8]
#        EXPERIMENTS="upgrade-latency upgrade-overhead" scripts/reproduce.sh
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin
go build -o bin/dustm ./cmd/dustm

experiments=${EXPERIMENTS:-"upgrade-latency upgrade-overhead pause-vs-size scalability stm-micro quick"}
status=0
failed=()
start=$(date +%s)
for e in $experiments; do
  echo "== $e ($(date -u +%H:%M:%S) UTC)"
  if ! bin/dustm experiment "$e" "$@"; then
    status=1
    failed+=("$e")
  fi
done
echo "== done in $(( ($(date +%s) - start) / 60 )) min"
if [ "$status" -ne 0 ]; then
  echo "experiments with failed runs: ${failed[*]} (see their REPORT.md)"
fi
exit "$status"
