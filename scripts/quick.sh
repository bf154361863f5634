#!/usr/bin/env bash
# quick.sh: runs the `quick` experiment and draws its figures.
#
# Running time: about 2 minutes on a 2-core laptop (60 runs of 1.5-2 s, two repetitions, plus
# the STM micro-benchmarks). The results folder, printed at the end, holds every run's files,
# summary.csv, figures/ (PNG and SVG) and REPORT.md.
#
# Usage: scripts/quick.sh [flags of `dustm experiment`, e.g. --set threads=4 or -o DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin
go build -o bin/dustm ./cmd/dustm
bin/dustm experiment quick "$@"
