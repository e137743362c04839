#!/usr/bin/env bash
# Scale: a ring of N P routers + 2 PEs + 4 CEs (bench/gen_ring.py), fast profile, one run per N,
# for N in NS (default "10 25 50"). A size is attempted only if the previous one went green
# within LIMIT seconds (default 900). Per N, in this order on the same engine:
#   1. the floor: the same N+6 containers started with FRR by the docker CLI, veth links
#      (bench/peer/floor.sh, RING=N FLOOR_NETWORKS=veth), a dozen at a time like mplsrepl;
#   2. `mplsrepl run ringN.rhai --profile fast` (the lab left up), then 60 s of the lab idle,
#      its memory per process, then `mplsrepl down ringN`;
#   3. all the while, the lab VM's CPU sampled every PERIOD s (default 5) (bench/vm_cpu.py), split per step
#      into the protocols' daemons, mplsrepl's tooling (engine, shims, kept shells, vtysh), the
#      kernel and the rest.
# Prints, per N: create against the floor (the ratio), each step's wall time and the VM's CPU
# seconds in it, idle CPU per daemon, RSS, `down`'s time. With the lab VM only (`vm sh`).
#
#   DOCKER_HOST=tcp://127.0.0.1:23750 bench/scale.sh            # NS="10 25 50" LIMIT=900
#   IMAGE=labfrr:8 NS=50 bench/scale.sh                         # FRR 8 (the routers' image)
#
# Logs, samples and the generated labs go to $OUT (default target/bench/scale-<date>/).
set -uo pipefail
cd "$(dirname "$0")/.."
NS=${NS:-10 25 50}
LIMIT=${LIMIT:-900}
IDLE=${IDLE:-60}
IMAGE=${IMAGE:-labfrr:latest}
MPLSREPL=${MPLSREPL:-target/release/mplsrepl}
OUT=${OUT:-target/bench/scale-$(date +%Y%m%d-%H%M%S)}
: "${DOCKER_HOST:?set DOCKER_HOST to the lab engine (see bench/README.md)}"
export DOCKER_HOST
if [ -z "${NO_BUILD:-}" ]; then cargo build --release -q || exit 1; fi
mkdir -p "$OUT"
sampler=
trap '[ -z "$sampler" ] || kill "$sampler" 2>/dev/null' EXIT
mark() { echo "$1" | python3 bench/vm_cpu.py stamp >>"$2"; }
for n in $NS; do
    script=$(python3 bench/gen_ring.py "$n" "$OUT") || exit 1
    "$MPLSREPL" down "ring$n" >/dev/null 2>&1
    log="$OUT/ring$n.log"; samples="$OUT/cpu$n.jsonl"; : >"$log"; : >"$samples"
    python3 bench/vm_cpu.py sample "$samples" "${PERIOD:-5}" & sampler=$!
    sleep 12
    mark "#phase floor" "$log"
    floor=$(RING=$n FLOOR_NETWORKS=veth IMAGE=$IMAGE bash bench/peer/floor.sh 2>&1 | tail -1)
    mark "#end" "$log"
    echo "$floor" >>"$OUT/floor$n.txt"
    sleep 12
    t0=$(date +%s)
    timeout $((LIMIT * 2)) "$MPLSREPL" run "$script" --profile fast --image "$IMAGE" --color never 2>&1 \
        | python3 bench/vm_cpu.py stamp >>"$log"
    rc=${PIPESTATUS[0]}
    wall=$(( $(date +%s) - t0 ))
    if [ "$rc" = 0 ]; then
        mark "#phase idle" "$log"; sleep "$IDLE"; mark "#end" "$log"
        python3 bench/vm_cpu.py rss >"$OUT/rss$n.json"
    fi
    sleep 12
    mark "#phase down" "$log"
    "$MPLSREPL" down "ring$n" >>"$OUT/down$n.txt" 2>&1
    mark "#end" "$log"
    sleep 12
    kill "$sampler"; sampler=
    python3 - "$n" "$log" "$rc" "$wall" "$samples" "$floor" "$OUT/rss$n.json" <<'PY'
import json, os, sys; sys.path.insert(0, "bench")
from parse_run import parse
from vm_cpu import split
n, log, rc, wall, samples, floor, rss = sys.argv[1:8]
text = "".join(l.split("\t", 1)[1] if "\t" in l else l for l in open(log, errors="replace"))
r = parse(text)
state = f"green, total {r['total']:.1f} s" if r["passed"] else f"NOT green (exit {rc}, {wall} s wall; see {log})"
fl = floor.rsplit(" in ", 1)[-1].rstrip(" s") if " up with FRR in " in floor else None
ratio = f", {float(r['create']) / float(fl):.2f}x the floor ({fl} s)" if fl and r["create"] else f" (floor: {floor})"
print(f"ring N={n}: {int(n) + 6} routers, create {r['create']} s{ratio}; {state}")
for p in split(samples, log):
    if p["vm_cpu"] is None:
        print(f"  {p['phase']}: {p['seconds']} s (shorter than a sample)")
        continue
    inside = (f"FRR {p['protocols']}, rest of the routers {p['in_routers']}, kernel {p['kernel']}"
              if p["protocols"] is not None else f"{p['routers_gone']} routers removed (their share unknown)")
    daemons = ", ".join(f"{k} {v}" for k, v in list(p["daemons"].items())[:5])
    print(f"  {p['phase']}: {p['seconds']} s; VM CPU {p['vm_cpu']} s ({p['vm_cpu_per_s']}/s): {inside}, "
          f"engine {p['engine']}, systemd+udev {p['system']}, sampler {p['sampler']}, irq {p['irq']}"
          + (f"; {daemons}" if daemons else ""))
if os.path.exists(rss):
    m = json.load(open(rss))
    per = ", ".join(f"{c} {v[1]} MiB x{v[0]}" for c, v in list(m["per_process_mib"].items())[:9])
    print(f"  memory after idle: {m['used_mib']} of {m['total_mib']} MiB used; {per}")
PY
    if [ "$rc" -ne 0 ] || [ "$wall" -gt "$LIMIT" ]; then
        echo "stopping: N=$n was not green within ${LIMIT} s (${wall} s, exit $rc); larger rings not attempted"
        break
    fi
done
