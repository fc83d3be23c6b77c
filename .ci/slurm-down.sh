#!/usr/bin/env bash
# Stop the daemons .ci/slurm-up.sh started (best effort; nothing to do when none runs).
pkill -x slurmd 2>/dev/null
pkill -x slurmctld 2>/dev/null
pkill -x munged 2>/dev/null
exit 0
