#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (Debian's slurm-wlm and munge), for the
# `verify slurm` test (tests/slurm.rs). Idempotent: installs what is missing, starts what is not
# running, and returns 0 once `sinfo` shows the node idle. Needs root. Exit 1 (with a reason on
# stderr) when it cannot: then the test reports SKIPPED loudly.
set -uo pipefail

say() { echo "slurm-up: $*" >&2; }
fail() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (to install packages and start munged, slurmctld, slurmd)"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq slurm-wlm munge >/tmp/slurm-up-apt.log 2>&1 \
        || { apt-get update -qq >>/tmp/slurm-up-apt.log 2>&1 \
             && apt-get install -y -qq slurm-wlm munge >>/tmp/slurm-up-apt.log 2>&1; } \
        || fail "apt-get could not install slurm-wlm and munge (package registry unreachable?); see /tmp/slurm-up-apt.log"
fi

# munge: its own user, its own folders, a key.
for d in /etc/munge /var/lib/munge /var/log/munge /run/munge; do
    mkdir -p "$d" && chown munge:munge "$d"
done
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key

# slurm: one node with this machine's CPUs and most of its memory, one default partition.
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
state=/tmp/verify-slurm
mkdir -p "$state/ctld" "$state/d" /etc/slurm
conf="ClusterName=verify-ci
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SlurmUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ReturnToService=2
MinJobAge=600
JobRequeue=1
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP"
if [ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" != "$conf" ]; then
    printf '%s\n' "$conf" >/etc/slurm/slurm.conf
    [ -f /etc/slurm/cgroup.conf ] || printf 'CgroupPlugin=cgroup/v1\n' >/etc/slurm/cgroup.conf
    "$(dirname "$0")/slurm-down.sh"
fi

# Start whichever daemon is not running (again, if one was still stopping), until the node is up;
# at most about a minute in all.
start=$SECONDS
while [ $((SECONDS - start)) -lt 60 ]; do
    pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
    pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
    pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
    st=$(timeout 5 sinfo -h -o %T 2>/dev/null | head -1)
    case "$st" in
        idle*|mixed*|allocated*) say "node $host is $st ($cpus CPUs, ${mem} MiB)"; exit 0 ;;
        down*|drain*) timeout 5 scontrol update nodename="$host" state=resume >/dev/null 2>&1 ;;
    esac
    sleep 1
done
fail "the node did not come up (sinfo: ${st:-nothing}); see $state/slurmctld.log and $state/slurmd.log"
