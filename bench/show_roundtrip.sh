#!/usr/bin/env bash
# Item 4: round trip of one `show` command and RSS per router, on the seed lab (fast profile).
# 1. `mplsrepl run bench/show_roundtrip.rhai`: builds the lab, then times ROUNDS (50) calls of
#    show("PE1", "show ip route json") and vtysh("PE1", "show ip route") from the script, and
#    prints each container's RSS by role;
# 2. for comparison, in the same minute on the same lab, 50 x the docker CLI doing the same
#    (`docker exec mpls_vpn-PE1 vtysh -c 'show ip route json'`);
# 3. `mplsrepl down mpls_vpn`.
#
#   DOCKER_HOST=tcp://127.0.0.1:23752 bench/show_roundtrip.sh
set -uo pipefail
cd "$(dirname "$0")/.."
MPLSREPL=${MPLSREPL:-target/release/mplsrepl}
ROUNDS=${ROUNDS:-50}
OUT=${OUT:-target/bench/show-$(date +%Y%m%d-%H%M%S)}
: "${DOCKER_HOST:?set DOCKER_HOST to the lab engine (see bench/README.md)}"
export DOCKER_HOST
if [ -z "${NO_BUILD:-}" ]; then cargo build --release -q || exit 1; fi
mkdir -p "$OUT"
"$MPLSREPL" down mpls_vpn >/dev/null 2>&1
"$MPLSREPL" run bench/show_roundtrip.rhai --image "${IMAGE:-labfrr:latest}" --profile fast --color never >"$OUT/mplsrepl.log" 2>&1
rc=$?
grep -E 'calls, median|MiB|FAIL|×' "$OUT/mplsrepl.log" | sed 's/^ *//'
if [ $rc = 0 ]; then
    python3 - "$ROUNDS" <<'PY'
import statistics, subprocess, sys, time
n = int(sys.argv[1])
for label, argv in [("docker CLI: docker exec mpls_vpn-PE1 vtysh -c 'show ip route json'",
                     ["docker", "exec", "mpls_vpn-PE1", "vtysh", "-c", "show ip route json"]),
                    ("docker CLI: docker exec mpls_vpn-PE1 true (exec floor)",
                     ["docker", "exec", "mpls_vpn-PE1", "true"])]:
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    ts.sort()
    print(f"{label}: {n} calls, median {statistics.median(ts)*1e3:.0f} ms, min {ts[0]*1e3:.0f} ms, max {ts[-1]*1e3:.0f} ms")
PY
fi
"$MPLSREPL" down mpls_vpn >/dev/null 2>&1
exit $rc
