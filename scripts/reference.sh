#!/usr/bin/env bash
# reference.sh: regenerates the committed reference results (issue 10, part 4) in one command:
# upgrade-latency (10 ms intervals, the probe), pause-vs-size (up to the giant structure:
# about 3.2 GB of heap, 7 GB resident, 2 minutes to build on 2 cores), scalability and
# stm-micro, each under results/NAME/TIMESTAMP/ with its findings, figures and REPORT.md,
# the per-run files compacted as dustm experiment leaves them.
#
# Then, by hand: un-ignore the new folders in .gitignore (replacing the old ones), point the
# README's headline figure at the new upgrade-latency/…/figures/upgrade-headline.png and copy
# the findings' verdicts (REPORT.md's first table) beside it.
#
# Usage: scripts/reference.sh [flags for every experiment]
set -euo pipefail
cd "$(dirname "$0")/.."
EXPERIMENTS=${EXPERIMENTS:-"upgrade-latency pause-vs-size scalability stm-micro"} exec scripts/reproduce.sh "$@"
