#!/usr/bin/env bash
# What a link costs to make, in the lab VM's host namespace, as the links container makes
# them (docker_links.rs): a veth pair between two namespaces, set up; and one end of a
# cross-engine link: a VXLAN device made in the host's namespace, given its MAC, moved into
# a namespace, renamed and set up. N of each (100), ROUNDS rounds (3); prints each round's
# mean per link and the median of the rounds.
#
#   target/release/mplsrepl vm up; bench/links.sh
# (The VXLAN devices are only made, not used: their creation needs no second VM.)
set -uo pipefail
cd "$(dirname "$0")/.."
MPLSREPL=${MPLSREPL:-target/release/mplsrepl}
N=${N:-100}
ROUNDS=${ROUNDS:-3}
if [ -z "${NO_BUILD:-}" ]; then cargo build --release -q || exit 1; fi
round() {
    "$MPLSREPL" vm sh "
        ip netns add bench1; ip netns add bench2
        t0=\$(date +%s%N)
        for i in \$(seq $N); do
            ip link add va\$i netns bench1 type veth peer name vb\$i netns bench2 \
                && ip -n bench1 link set va\$i up && ip -n bench2 link set vb\$i up
        done
        t1=\$(date +%s%N)
        for i in \$(seq $N); do
            ip link add mvxb\$i type vxlan id \$((3000000+i)) local 192.0.2.1 remote 192.0.2.2 dstport 4789 \
                && ip link set mvxb\$i address 02:4d:00:00:\$(printf %02x \$i):01 netns bench1 \
                && ip -n bench1 link set mvxb\$i name x\$i && ip -n bench1 link set x\$i mtu 1600 up
        done
        t2=\$(date +%s%N)
        ip netns del bench1; ip netns del bench2
        echo \$(( (t1-t0)/$N/1000 )) \$(( (t2-t1)/$N/1000 ))
    " | tail -1
}
veth=(); vxlan=()
for r in $(seq "$ROUNDS"); do
    read -r v x < <(round)
    echo "round $r: veth pair $((v/1000)).$(( (v%1000)/100 )) ms/link, VXLAN end $((x/1000)).$(( (x%1000)/100 )) ms/end"
    veth+=("$v"); vxlan+=("$x")
done
python3 - "${veth[*]}" "${vxlan[*]}" <<'PY'
import statistics, sys
veth, vxlan = ([int(x) / 1000 for x in a.split()] for a in sys.argv[1:3])
mv, mx = statistics.median(veth), statistics.median(vxlan)
print(f"median of {len(veth)} rounds: veth pair {mv:.1f} ms/link, VXLAN end {mx:.1f} ms/end "
      f"(ratio {mx / mv:.2f})")
PY
