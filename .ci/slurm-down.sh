#!/usr/bin/env bash
# Stop the daemons .ci/slurm-up.sh started and wait until they are gone (best effort; nothing to
# do when none runs).
daemons="slurmd slurmctld slurmscriptd munged"
running() { for d in $daemons; do pgrep -x "$d" >/dev/null && return 0; done; return 1; }
for d in $daemons; do pkill -x "$d" 2>/dev/null; done
for _ in $(seq 1 50); do
    running || exit 0
    sleep 0.2
done
for d in $daemons; do pkill -9 -x "$d" 2>/dev/null; done
exit 0
