#!/usr/bin/env bash
# Brings up a one-node Slurm cluster on loopback for the tests (Debian 12 slurm-wlm 22.05: slurmctld,
# slurmd, munge; optionally slurmdbd + MariaDB for sacct). No systemd, no cgroups, everything as root.
# Adapted from the verified reference script (see docs/slurm.md, "Testing").
#
# Idempotent: installs missing packages (apt-get update once, --no-install-recommends), (re)writes the
# config only when it changed, starts munged / slurmctld / slurmd unless already running, waits for the
# node to be idle. A second run with everything up takes well under a second.
#
# On success, when POLLINATOR_SERVICES_ENV names a file, appends the variables the tests read:
#   POLLINATOR_TEST_SLURM=1                  real Slurm is up; the Slurm tests run
#   POLLINATOR_SLURM_DOWN_PARTITION=down     a partition whose jobs pend for ever (PartitionDown)
#   POLLINATOR_SLURM_ACCOUNTING=0|1          whether sacct has a database behind it
#
# Env: SLURM_STATE_DIR (default /tmp/pollinator-slurm)  SLURM_CPUS (default nproc)
#      SLURM_ACCOUNTING=0|1 (default 1: sacct works)  SLURM_MIN_JOB_AGE (default 300 s: how long finished jobs stay
#      visible in scontrol/squeue)
set -euo pipefail
STATE=${SLURM_STATE_DIR:-/tmp/pollinator-slurm}
ACCT=${SLURM_ACCOUNTING:-1}
T0=${EPOCHREALTIME/./}
log(){ local n=${EPOCHREALTIME/./}; printf '[slurm-up %6dms] %s\n' $(( (n - T0) / 1000 )) "$*"; }
fail(){ log "error: $*"; exit 1; }
alive(){ [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

[ "$(id -u)" = 0 ] || fail "must run as root (installs packages and starts slurmctld/slurmd as root)"

pkgs=(slurmctld slurmd slurm-client munge); ((ACCT)) && pkgs+=(slurmdbd mariadb-server)
need=(); for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p"); done
if ((${#need[@]})); then
  command -v apt-get >/dev/null || fail "missing packages ${need[*]} and no apt-get to install them"
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No init system here: keep package scripts from trying to start daemons.
  made_policy=0; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; }
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || fail "apt-get install ${need[*]} failed"
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
fi
log "packages ok: $(slurmd -V)"

mkdir -p "$STATE"/{ctld,d,log,run} /etc/slurm /run/munge
HOST=$(hostname -s)
CPUS=${SLURM_CPUS:-$(nproc)}
MEM=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p'); MEM=$((MEM - 512))   # headroom
if ((ACCT)); then
  ACCT_CONF="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5"
else
  ACCT_CONF="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi
conf=$(cat <<CONF
# Written by pollinator scripts/services/slurm-up.sh
ClusterName=pollinator
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=${STATE}/ctld
SlurmdSpoolDir=${STATE}/d
SlurmctldPidFile=${STATE}/run/slurmctld.pid
SlurmdPidFile=${STATE}/run/slurmd.pid
SlurmctldLogFile=${STATE}/log/slurmctld.log
SlurmdLogFile=${STATE}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
${ACCT_CONF}
JobCompType=jobcomp/filetxt
JobCompLoc=${STATE}/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
ReturnToService=2
MpiDefault=none
MinJobAge=${SLURM_MIN_JOB_AGE:-300}
KillWait=5
InactiveLimit=0
OverTimeLimit=0
MessageTimeout=10
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
# Jobs sent here are accepted and pend for ever (Reason=PartitionDown): the pending-reason tests use it.
PartitionName=down Nodes=${HOST} Default=NO MaxTime=INFINITE State=DOWN
CONF
)
conf_changed=0
if [ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" != "$conf" ]; then printf '%s\n' "$conf" > /etc/slurm/slurm.conf; conf_changed=1; fi

# --- munge
[ -s /etc/munge/munge.key ] || { log "creating munge key"; mungekey --create --keyfile /etc/munge/munge.key; }
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
mkdir -p /var/lib/munge /var/log/munge; chown munge:munge /run/munge /var/lib/munge /var/log/munge
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"; su -s /bin/sh munge -c /usr/sbin/munged
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n </dev/null | unmunge >/dev/null || fail "munge does not work (see /var/log/munge/munged.log)"
log "munge ok"

# --- optional accounting: mariadb (unix socket, no TCP) + slurmdbd
if ((ACCT)); then
  mkdir -p "$STATE/mysql" "$STATE/mysql-run" /run/mysqld; chown mysql:mysql "$STATE/mysql" "$STATE/mysql-run" /run/mysqld
  if ! mariadb -e 'select 1' >/dev/null 2>&1; then
    [ -d "$STATE/mysql/mysql" ] || { log "initialising mariadb"; mariadb-install-db --user=mysql --datadir="$STATE/mysql" --auth-root-authentication-method=socket >"$STATE/log/mariadb-install.log" 2>&1; }
    log "starting mariadbd"
    setsid mariadbd --user=mysql --datadir="$STATE/mysql" --socket=/run/mysqld/mysqld.sock --pid-file="$STATE/mysql-run/mariadb.pid" \
      --skip-networking --log-error="$STATE/mysql-run/mariadb.log" --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 </dev/null >/dev/null 2>&1 &
    for _ in $(seq 200); do mariadb -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  mariadb -e 'select 1' >/dev/null || { tail "$STATE/mysql-run/mariadb.log" >&2; fail "mariadb did not start"; }
  log "mariadb ok"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
PidFile=${STATE}/run/slurmdbd.pid
LogFile=${STATE}/log/slurmdbd.log
CONF
  chmod 600 /etc/slurm/slurmdbd.conf
  if ! alive "$STATE/run/slurmdbd.pid"; then log "starting slurmdbd"; /usr/sbin/slurmdbd; fi
  for _ in $(seq 100); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.2; done
  sacctmgr -n list cluster format=cluster | grep -qw pollinator || sacctmgr -i add cluster pollinator >/dev/null
  log "slurmdbd ok"
fi

# --- slurmctld, slurmd (restarted when the configuration changed under running daemons)
if ((conf_changed)) && { alive "$STATE/run/slurmctld.pid" || alive "$STATE/run/slurmd.pid"; }; then
  log "configuration changed: restarting slurmctld and slurmd"
  for f in slurmd slurmctld; do
    if alive "$STATE/run/$f.pid"; then p=$(cat "$STATE/run/$f.pid"); kill -TERM "$p"; for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; fi
  done
fi
if ! alive "$STATE/run/slurmctld.pid"; then log "starting slurmctld"; /usr/sbin/slurmctld -i; fi
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.2; done
scontrol ping 2>/dev/null | grep -q 'is UP' || { tail -20 "$STATE/log/slurmctld.log" >&2; fail "slurmctld did not come up"; }
log "slurmctld up"
if ! alive "$STATE/run/slurmd.pid"; then log "starting slurmd"; /usr/sbin/slurmd; fi
st=
for _ in $(seq 150); do
  st=$(sinfo -h -N -p debug -o '%T' 2>/dev/null | head -1)
  case "$st" in idle|mixed|allocated) break;; down*|drain*) scontrol update nodename="$HOST" state=resume 2>/dev/null || true;; esac
  sleep 0.2
done
[[ "$st" =~ ^(idle|mixed|allocated)$ ]] || { sinfo -R >&2; tail -20 "$STATE/log/slurmd.log" >&2; fail "node state '$st'"; }
log "slurm ready: node $HOST state=$st accounting=$ACCT"

if [ -n "${POLLINATOR_SERVICES_ENV:-}" ]; then
  {
    echo "POLLINATOR_TEST_SLURM=1"
    echo "POLLINATOR_SLURM_DOWN_PARTITION=down"
    echo "POLLINATOR_SLURM_ACCOUNTING=$ACCT"
  } >> "$POLLINATOR_SERVICES_ENV"
fi
