#!/bin/sh
# Failover outage per change, median of RUNS runs of scripts/failover.rhai on the lab VM:
# link down, silent failure found by OSPF's dead interval, the same found by BFD, frozen
# daemons. PROFILES lists the profiles (fast: OSPF 1 s hellos / 4 s dead, BFD 300 ms x 3;
# article: FRR's OSPF timers, 10 s / 40 s, BFD 1 s x 3).
#
#   DOCKER_HOST=tcp://127.0.0.1:23750 RUNS=5 PROFILES="fast article" bench/failover.sh
set -eu
cd "$(dirname "$0")/.."
MPLSREPL=${MPLSREPL:-target/debug/mplsrepl}
RUNS=${RUNS:-5}
PROFILES=${PROFILES:-fast article}
[ -n "${NO_BUILD:-}" ] || cargo build -q
: "${DOCKER_HOST:?set DOCKER_HOST to the lab engine (mplsrepl vm up prints it)}"
export DOCKER_HOST
# OUT keeps every run's output (a fresh directory otherwise, removed at the end).
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
for profile in $PROFILES; do
  i=1
  while [ "$i" -le "$RUNS" ]; do
    # A run already in OUT is kept (a table can be made again without the VM time).
    if [ -s "$out/$profile.$i" ] && grep -q "checks passed" "$out/$profile.$i"; then i=$((i + 1)); continue; fi
    "$MPLSREPL" run --profile "$profile" --lab-name bench_failover --down scripts/failover.rhai >"$out/$profile.$i" 2>&1 \
      || { echo "run $i ($profile) failed:"; tail -20 "$out/$profile.$i"; exit 1; }
    i=$((i + 1))
  done
done
for profile in $PROFILES; do
  echo "profile $profile, $RUNS runs: median outage (ms) and lost probes (10 ms apart)"
  for what in "link down" "silent, OSPF" "silent, BFD" "frozen, BFD"; do
    cat "$out/$profile".* | grep "^  $what: " | sed 's/.*: \([0-9]*\) lost of [0-9]*, outage \([0-9.]*\) ms/\2 \1/' \
      | sort -n | awk -v w="$what" '{o[NR]=$1; l[NR]=$2} END {m=int((NR+1)/2); printf "  %-14s %8.0f ms  %5d lost  (min %.0f, max %.0f)\n", w, o[m], l[m], o[1], o[NR]}'
  done
done
[ -n "${OUT:-}" ] || rm -rf "$out"
