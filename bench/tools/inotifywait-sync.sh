#!/usr/bin/env bash
# The classic inotifywait + rsync loop, as the benchmark runs it (bench/tools/inotifywait.ts):
#   bash inotifywait-sync.sh SOURCE DEST [DEST...]        (the daemon password comes in RSYNC_PASSWORD)
# Drain variant: after an event, every other event already queued is read and dropped, then one
# `rsync -a --delete` of the whole folder runs per destination, one after the other. (The variant that runs
# rsync once per event never finishes a 20,000-file burst.) inotifywait runs without -q only so that its
# "Watches established." line on stderr says when it is ready.
set -u
src="${1%/}/"
shift
inotifywait -mr -e close_write,create,delete,move,attrib --format '%w%f' "$src" |
  while read -r _; do
    while read -r -t 0 && read -r _; do :; done
    for dest in "$@"; do
      rsync -a --delete "$src" "$dest"
    done
  done
