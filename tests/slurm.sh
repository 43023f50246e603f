#!/usr/bin/env bash
# tests/slurm.sh ESMSIM SRCDIR - docs/sweep.md's Slurm recipe, its exact commands read from the page,
# on a one-node Slurm cluster that this script starts in its work directory (munged, slurmctld and
# slurmd, on ports of their own, stopped on exit) (issue 11 item 18e): every array task ends
# COMPLETED (item 18a), the final sweep simulates nothing and says no process count (18d), the
# merged sweep database holds the rows and the ranking of a local sweep of the same grid and no
# per-run rows (18b), and a sweep in a job given one CPU runs one run at a time (18c).
# Exit status 77 (skipped, for meson) when Slurm is not installed: apt-get install slurm-wlm.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 "$1" "$2"; }

for p in slurmctld slurmd sbatch squeue scancel munged mungekey; do
  if ! command -v "$p" >/dev/null; then
    echo "slurm: skipped: no $p (Debian: apt-get install slurmctld slurmd slurm-client, or slurm-wlm)"
    exit 77
  fi
done

cd "$work" || exit 1
doc="$src/docs/sweep.md"
cluster="$work/cluster"   # the daemons' files
mkdir -m 700 "$cluster"
pids=()

no_jobs() { [ -z "$(squeue -h 2>/dev/null)" ]; }
# On exit: cancel what is left, stop the daemons started here (by their ids), remove the files.
stop_cluster() {
  if [ -n "${SLURM_CONF:-}" ] && [ ${#pids[@]} -gt 1 ]; then
    scancel --quiet --full --signal=KILL --user=root 2>/dev/null
    wait_until 10 no_jobs
  fi
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do   # slurmd, slurmctld, then munged
    kill "${pids[$i]}" 2>/dev/null
    wait_within "${pids[$i]}" 30 2>/dev/null
  done
  rm -rf "$work"
}
trap stop_cluster EXIT
trap 'exit 143' TERM   # so that a timeout (meson's SIGTERM) stops the cluster too
trap 'exit 130' INT

# Two free TCP ports, so that two of these tests may run on one machine.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done

# ---- the cluster ----------------------------------------------------------------------------
mungekey --create --keyfile="$cluster/munge.key" 2>/dev/null ||
  { ko "mungekey"; finish; exit; }
munged --foreground --force --socket="$cluster/munge.sock" --key-file="$cluster/munge.key" \
  --pid-file="$cluster/munged.pid" --log-file="$cluster/munged.log" \
  --seed-file="$cluster/munged.seed" >/dev/null 2>&1 &
pids+=($!)
host=$(hostname -s)
node=$(SLURM_CONF=/dev/null slurmd -C 2>/dev/null | head -1)   # NodeName=HOST CPUs=... RealMemory=...
cpus=$(printf '%s\n' "$node" | sed -nE 's/.* CPUs=([0-9]+).*/\1/p')
mkdir "$cluster/state" "$cluster/spool"
export SLURM_CONF="$cluster/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=esmsim-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$cluster/munge.sock
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/slurmctld.pid
SlurmdPidFile=$cluster/slurmd.pid
SlurmctldLogFile=$cluster/slurmctld.log
SlurmdLogFile=$cluster/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$cluster/jobcomp.txt
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
if ! wait_until 30 test -S "$cluster/munge.sock"; then
  ko "munged did not start: $(cat "$cluster/munged.log" 2>&1)"
  finish
  exit
fi
slurmctld -D -i >/dev/null 2>&1 &
pids+=($!)
slurmd -D -N "$host" >/dev/null 2>&1 &
pids+=($!)
idle() { [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; }
if ! wait_until 60 idle; then
  ko "the one-node cluster did not come up: $(sinfo 2>&1; tail -5 "$cluster"/*.log)"
  finish
  exit
fi
ok

# ---- the recipe, as docs/sweep.md writes it ------------------------------------------------------
# The lines of the N-th code block of language LANG in the section titled HEADING.
block() {
  awk -v h="$1" -v fence="\`\`\`$2" -v n="$3" '
    /^## / { in_sec = ($0 == h) }
    in_code && /^```$/ { in_code = 0; next }
    in_sec && !in_code && $0 == fence { k++; in_code = 1; next }
    in_code && k == n { print }' "$doc"
}
block "## The runs" sh 1 >print-runs.sh
block "## A Slurm array" bash 1 >sweep-task.sh
block "## A Slurm array" sh 1 >submit.sh
for f in print-runs.sh sweep-task.sh submit.sh; do
  [ -s "$f" ] && ok || ko "docs/sweep.md has no code block for $f"
done
# The local sweep of the same grid: step 1's command with -o instead of --print-runs.
sed 's/--print-runs parts > runs.txt/--no-chart -o local.db/' print-runs.sh >local.sh
expect_in "$(cat local.sh)" "-o local.db" "the local sweep made from step 1's command"

ln -s "$src/scenarios" scenarios
mkdir bin
ln -s "$esmsim" bin/esmsim
export PATH="$work/bin:$PATH"

bash -e print-runs.sh; rc=$?
expect_eq "$rc" 0 "the --print-runs step"
runs=$(wc -l < runs.txt)
expect_eq "$runs" 16 "runs.txt: one line per run of the 8 settings x 2 seeds"
bash -e submit.sh >submit.out 2>&1; rc=$?
expect_eq "$rc" 0 "the sbatch step: $(cat submit.out)"
# Meanwhile, the local sweep.
bash -e local.sh >local.out 2>&1; rc=$?
expect_eq "$rc" 0 "the local sweep: $(cat local.out)"
# (a bound below meson's 600 s, so that a stuck job fails here, saying which)
wait_until 400 no_jobs && ok || ko "every job ended: $(squeue 2>&1)"

# Item 18a: every array task, and the final job, COMPLETED.
expect_eq "$(grep -c 'JobState=COMPLETED' "$cluster/jobcomp.txt")" $((runs + 1)) \
          "issue 11 item 18a: $runs array tasks and the final job COMPLETED: $(grep -v COMPLETED "$cluster/jobcomp.txt")"
expect_eq "$(grep -vc 'JobState=COMPLETED' "$cluster/jobcomp.txt")" 0 "no job ended otherwise"
out=$(cat logs/sweep.out)
expect_in "$out" "8 settings x 2 seeds = 16 runs: 0 simulated, 16 used again from sweep.db, 0 failed" \
          "the final sweep simulates nothing"
# Item 18d: nothing ran, so no process count.
case "$out" in *"at most"*) ko "issue 11 item 18d: a process count although nothing ran: $out" ;; *) ok ;; esac
expect_in "$out" "sweep.db: dropped the invocations, metrics and other rows of the 16 runs used again" \
          "the final sweep drops the merged runs' own rows"

# The merged ranking is the local sweep's, and so are the rows.
ranking() { sed -n '/^ranked by/,/^rows:/{/^rows:/!p}' "$1"; }
expect_eq "$(ranking logs/sweep.out)" "$(ranking local.out)" "the merged ranking equals the local sweep's"
[ "$(ranking local.out | wc -l)" -gt 8 ] && ok || ko "the local ranking has 8 settings: $(cat local.out)"
rows="SELECT * FROM sweep_results ORDER BY run_id"
expect_eq "$(q sweep.db "$rows")" "$(q local.db "$rows")" "the merged sweep_results rows equal the local ones"
runs_q="SELECT run_id, scenario, seed, scenario_json, complete, per_record_tables, summary_json FROM runs ORDER BY run_id"
expect_eq "$(q sweep.db "$runs_q")" "$(q local.db "$runs_q")" "the merged runs rows equal the local ones"
# Item 18b: no per-run rows left, the file vacuumed.
expect_eq "$(q sweep.db 'SELECT (SELECT count(*) FROM invocations) + (SELECT count(*) FROM metrics)
  + (SELECT count(*) FROM checkpoints) + (SELECT count(*) FROM shards)')" 0 "issue 11 item 18b: no per-run rows"
expect_eq "$(q sweep.db 'PRAGMA freelist_count')" 0 "issue 11 item 18b: the sweep database is vacuumed"

# Item 18c: a sweep in a job given one CPU (sbatch's default) runs one run at a time.
if [ "${cpus:-1}" -gt 1 ]; then
  timeout 120 sbatch --wait --output=logs/affinity.out --wrap "esmsim sweep scenarios/poison-pill-bounded.json \
    --set duration=12m --vary event_source_mapping.BatchSize=10,100 --no-chart -o affinity.db" >/dev/null
  expect_in "$(cat logs/affinity.out)" "2 simulated, 0 used again from affinity.db, 0 failed, in" \
            "the one-CPU job's sweep"
  expect_in "$(cat logs/affinity.out)" "wall with at most 1 process" \
            "issue 11 item 18c: a job given 1 of $cpus CPUs runs 1 process at a time"
else
  echo "slurm: one CPU: the affinity check is skipped"
fi

finish
