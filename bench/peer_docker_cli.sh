#!/usr/bin/env bash
# mplsrepl against peer (a), the article's procedure as a docker-CLI shell script
# (bench/peer/article.sh), and against the floor (bench/peer/floor.sh + protocol timers).
# RUNS rounds (default 3); each round runs, per profile, mplsrepl then the peer, and once the
# floor, so that the figures compared were measured under the same load. Prints the medians of
# each side's split times, then total-time ratios: ratio of medians, and median of the per-round
# ratios.
#
#   DOCKER_HOST=tcp://127.0.0.1:23752 bench/peer_docker_cli.sh       # RUNS=3 PROFILES="article fast"
#   PEER_PARALLEL=1 ...      the peer starts its 7 containers concurrently (tuned variant)
#   ALSO_DOCKER_NETWORKS=1   each round also runs mplsrepl with --links docker (logs
#                            mplsreplnet-*), for the gain of veth links under the same load
#
# Floor = (7 containers + FRR start, concurrently, nothing else: floor.sh) + the protocol
# timers the profile cannot avoid: article 40 s (OSPF wait timer = dead interval on broadcast
# links, before the DR election and any Full adjacency), fast 2 s (one 1 s OSPF hello on
# point-to-point links + one 1 s LDP hello). See bench/README.md. Each round also measures the
# floor with the lab's 6 networks (FLOOR_NETWORKS=1 floor.sh): what any tool must create for
# this lab on Docker, and with the links as veth pairs (FLOOR_NETWORKS=veth floor.sh); the three
# floors are printed.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PROFILES=${PROFILES:-article fast}
MPLSREPL=${MPLSREPL:-target/release/mplsrepl}
OUT=${OUT:-target/bench/peer-$(date +%Y%m%d-%H%M%S)}
: "${DOCKER_HOST:?set DOCKER_HOST to the lab engine, e.g. tcp://127.0.0.1:23752 (see bench/README.md)}"
export DOCKER_HOST
if [ -z "${NO_BUILD:-}${SUMMARY_ONLY:-}" ]; then cargo build --release -q || exit 1; fi
[ -n "${SUMMARY_ONLY:-}" ] || mkdir -p "$OUT"
peer=peer; [ "${PEER_PARALLEL:-0}" = 1 ] && peer=peerpar
echo "mplsrepl vs $peer vs floor on $DOCKER_HOST, $RUNS rounds ($PROFILES), logs in $OUT"
wall() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# SUMMARY_ONLY=DIR: only print the figures of the logs already in DIR (e.g. an interrupted run)
if [ -n "${SUMMARY_ONLY:-}" ]; then OUT=$SUMMARY_ONLY; RUNS=0; fi
for i in $(seq 1 "$RUNS"); do
    bench/peer/floor.sh >"$OUT/floor-none-$i.log" 2>&1; tail -1 "$OUT/floor-none-$i.log" | sed "s/^/  round $i /"
    FLOOR_NETWORKS=1 bench/peer/floor.sh >"$OUT/floor-net-$i.log" 2>&1; tail -1 "$OUT/floor-net-$i.log" | sed "s/^/  round $i /"
    FLOOR_NETWORKS=veth bench/peer/floor.sh >"$OUT/floor-veth-$i.log" 2>&1; tail -1 "$OUT/floor-veth-$i.log" | sed "s/^/  round $i /"
    for p in $PROFILES; do
        variants="mplsrepl:veth"; [ -n "${ALSO_DOCKER_NETWORKS:-}" ] && variants+=" mplsreplnet:docker"
        for v in $variants; do
            tool=${v%%:*}
            "$MPLSREPL" down mpls_vpn >/dev/null 2>&1
            t0=$(date +%s.%N)
            "$MPLSREPL" run scripts/mpls_vpn.rhai --image "${IMAGE:-labfrr:latest}" --profile "$p" --links "${v#*:}" --down --color never >"$OUT/$tool-$p-$i.log" 2>&1
            echo "wall $(wall "$t0") rc $?" >>"$OUT/$tool-$p-$i.log"
            tail -3 "$OUT/$tool-$p-$i.log" | grep -E 'passed|FAIL' | sed "s/^ */  round $i $tool $p: /"
        done
        t0=$(date +%s.%N)
        bench/peer/article.sh "$p" >"$OUT/$peer-$p-$i.log" 2>&1
        echo "wall $(wall "$t0") rc $?" >>"$OUT/$peer-$p-$i.log"
        grep -E 'all checks passed|FAIL' "$OUT/$peer-$p-$i.log" | sed "s/^/  round $i $peer $p: /"
    done
done

echo
python3 bench/summary.py "mplsrepl and $peer" "$OUT"/mplsrepl-*.log "$OUT"/mplsreplnet-*.log "$OUT"/$peer-*.log
python3 - "$OUT" "$peer" "$PROFILES" <<'PY'
import glob, os, re, statistics, sys
sys.path.insert(0, "bench")
from parse_run import parse
out, peer, profiles = sys.argv[1], sys.argv[2], sys.argv[3].split()
TIMERS = {"article": 40.0, "fast": 2.0}
def runs(tool, p):
    got = {}
    for f in glob.glob(f"{out}/{tool}-{p}-*.log"):
        i = int(re.search(r"-(\d+)\.log$", f).group(1))
        r = parse(open(f, errors="replace").read())
        if r["passed"]:
            got[i] = r["total"]
    return got
def floor_runs(kind):
    got = []
    for f in glob.glob(f"{out}/floor-{kind}-*.log"):
        m = re.search(r"FRR in ([\d.]+) s", open(f).read())
        if m: got.append(float(m.group(1)))
    return got
floors, floors_net, floors_veth = floor_runs("none"), floor_runs("net"), floor_runs("veth")
print()
if floors:
    fm = statistics.median(floors)
    print(f"floor: 7 containers + FRR, nothing else: median {fm:.1f} s over {len(floors)} runs ({', '.join(f'{x:.1f}' for x in floors)})")
if floors_net:
    fnm = statistics.median(floors_net)
    print(f"floor+networks: the 6 networks, then 7 containers on them + FRR: median {fnm:.1f} s over {len(floors_net)} runs ({', '.join(f'{x:.1f}' for x in floors_net)})")
if floors_veth:
    fvm = statistics.median(floors_veth)
    print(f"floor+veth: 7 containers + FRR, then the 6 links as veth pairs: median {fvm:.1f} s over {len(floors_veth)} runs ({', '.join(f'{x:.1f}' for x in floors_veth)})")
for p in profiles:
    a, b = runs("mplsrepl", p), runs(peer, p)
    print(f"--profile {p}: mplsrepl green {len(a)}, {peer} green {len(b)}")
    if not a or not b:
        print("  no ratio: a side has no green run"); continue
    ma, mb = statistics.median(a.values()), statistics.median(b.values())
    paired = [a[i] / b[i] for i in a if i in b]
    print(f"  total: mplsrepl {ma:.1f} s, {peer} {mb:.1f} s, ratio of medians mplsrepl/{peer} = {ma/mb:.2f}"
          + (f", median of per-round ratios = {statistics.median(paired):.2f} ({len(paired)} rounds)" if paired else ""))
    if floors:
        fl = fm + TIMERS.get(p, 0.0)
        print(f"  floor estimate {fm:.1f} + {TIMERS.get(p, 0.0):.0f} s timers = {fl:.1f} s; mplsrepl/floor = {ma/fl:.2f}; {peer}/floor = {mb/fl:.2f}")
    if floors_net:
        fl = fnm + TIMERS.get(p, 0.0)
        print(f"  floor+networks estimate {fnm:.1f} + {TIMERS.get(p, 0.0):.0f} s timers = {fl:.1f} s; mplsrepl/floor+networks = {ma/fl:.2f}; {peer}/floor+networks = {mb/fl:.2f}")
    if floors_veth:
        fl = fvm + TIMERS.get(p, 0.0)
        print(f"  floor+veth estimate {fvm:.1f} + {TIMERS.get(p, 0.0):.0f} s timers = {fl:.1f} s; mplsrepl/floor+veth = {ma/fl:.2f}; {peer}/floor+veth = {mb/fl:.2f}")
    net = runs("mplsreplnet", p)
    if net:
        mn = statistics.median(net.values())
        paired = [net[i] / b[i] for i in net if i in b]
        print(f"  mplsrepl --links docker: {mn:.1f} s ({len(net)} green), /{peer} = {mn/mb:.2f}"
              + (f", per-round median {statistics.median(paired):.2f}" if paired else "")
              + f"; veth/docker-networks = {ma/mn:.2f}")
PY
