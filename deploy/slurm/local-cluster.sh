#!/usr/bin/env bash
# A one-node Slurm on this machine, from a temporary config, for the integration test
# (test/integration/slurm.test.ts) and for trying the templates without a cluster.
#   local-cluster.sh start DIR   writes DIR/slurm.conf, starts munged (if none runs), slurmctld
#                                and slurmd as root, waits until the node is idle, and prints the
#                                lines SLURM_CONF=... and PIDS=... (the daemons it started)
#   local-cluster.sh stop DIR    stops exactly the daemons whose PIDs it wrote in DIR/pids
# Needs root and Debian's slurm-wlm + munge. Daemons are stopped by PID, never by name.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?state folder}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

stop() {
  [ -f "$dir/pids" ] || return 0
  for pid in $(tac "$dir/pids"); do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -f "$dir/pids"
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "local-cluster.sh: the daemons run as root here (SlurmUser=root)" >&2; exit 3; }
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || { echo "local-cluster.sh: $b not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
done
export PATH="$PATH:/usr/sbin"
node=$(hostname -s)
# Memory for the node: what is free now, less a margin, in MiB.
mem=$(awk '/MemAvailable/ {printf "%d", $2/1024*0.8}' /proc/meminfo)
# CPUs the node offers (ATLAS_NODE_CPUS, default 2): more than the machine has lets every task of
# a small array run at once (config_overrides: slurmd takes the configured count as true).
cpus=${ATLAS_NODE_CPUS:-2}
overrides=""
if [ "$cpus" -gt "$(nproc)" ]; then overrides="SlurmdParameters=config_overrides"; fi
mkdir -p "$dir/spool/ctld" "$dir/spool/d" "$dir/log" "$dir/munge"
: > "$dir/pids"

# munge: reuse a running munged (any engineer's tests may share it); else start one on our socket.
if [ ! -f /etc/munge/munge.key ]; then
  (mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=128 count=1 status=none)
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
fi
sock=/run/munge/munge.socket.2
if ! munge -n >/dev/null 2>&1; then
  mkdir -p /run/munge /var/lib/munge /var/log/munge; chown munge:munge /run/munge /var/lib/munge /var/log/munge
  # munged forks into the background; --foreground keeps it ours to stop by PID.
  setsid runuser -u munge -- munged --foreground --force >"$dir/log/munged.log" 2>&1 &
  echo $! >> "$dir/pids"
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
fi

cat > "$dir/slurm.conf" <<CONF
ClusterName=atlas-local
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=${ATLAS_CRED_EXPIRE:-120}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
JobRequeue=1
$overrides
ReturnToService=2
MpiDefault=none
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=${ATLAS_SLURMCTLD_PORT:-16817}
SlurmdPort=${ATLAS_SLURMD_PORT:-16818}
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
KillWait=2
InactiveLimit=0
NodeName=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=atlas Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
echo $! >> "$dir/pids"
slurmd -D -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 &
echo $! >> "$dir/pids"

for _ in $(seq 150); do
  state=$(sinfo -h -n "$node" -o %t 2>/dev/null || true)
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 0.2
done
case "$state" in
  idle*|mix*|alloc*) ;;
  *) echo "local-cluster.sh: node $node did not come up (state '$state'); see $dir/log" >&2; stop; exit 4 ;;
esac
echo "SLURM_CONF=$SLURM_CONF"
echo "PIDS=$(tr '\n' ' ' < "$dir/pids")"
