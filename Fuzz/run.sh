#!/usr/bin/env bash
# Runs one libFuzzer target for a set time over its committed corpus, then merges what it found that
# adds coverage into that corpus (so the committed one stays small). Used by `make fuzz`.
#   Fuzz/run.sh JPEGFuzz 60 [libFuzzer options…]
set -euo pipefail
cd "$(dirname "$0")"
name=$1 seconds=$2
shift 2
corpus=corpus/$(echo "${name%Fuzz}" | tr '[:upper:]' '[:lower:]')
work=.work/$name
mkdir -p "$corpus" "$work" findings
echo "fuzz: $name for ${seconds}s over $corpus ($(ls "$corpus" | wc -l) inputs)"
# New inputs go to the first folder (scratch); crashes to findings/.
SWIFT_BACKTRACE=enable=no ./.build/release/"$name" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=findings/"$name"- -print_final_stats=1 "$@"
./.build/release/"$name" -merge=1 "$corpus" "$work" >/dev/null 2>&1
rm -rf "$work"
