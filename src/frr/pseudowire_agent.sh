#!/bin/sh
# The pseudowire data plane FRR lacks on Linux (zebra's pseudowire install does nothing there),
# run in a PE beside FRR: it reads ldpd's pseudowires and labels, and zebra's way to each peer,
# and keeps tc filters that carry the customer's frames over them.
#
# Each pseudowire mpwN is a veth pair mpwN <-> mpwNx that mplsrepl makes with the L2VPN (the
# attachment circuit or the VPLS bridge on the mpwN side). Frames leaving mpwN arrive at mpwNx,
# where this agent's filter pushes the PW label and the transport label, writes the next hop's
# Ethernet header and sends them out of the core interface; frames arriving on a core
# interface under the local PW label lose both headers and are sent out of mpwNx, so they
# enter mpwN. The agent compares what it wants with what it did each round and changes only
# what differs: a new path, a new label, a pseudowire gone.
#
# Every process start is slow in an emulated lab VM, and a round runs every second on every
# PE: a round costs four (vtysh, two `ip`, jq) whatever the number of pseudowires, and a round
# that changes something one more (`tc -batch`); the shell's builtins do the rest. Filters are
# replaced in place (flower, with a fixed handle), so a path that moves never leaves a
# pseudowire without one.
#
# Environment: PW_AGENT_STATE (default /run/mplsrepl-pw), PW_AGENT_INTERVAL (seconds, default
# 1); for tests, PW_AGENT_ONCE=1 (one round) and PW_AGENT_PROC (instead of /proc).
set -u
STATE=${PW_AGENT_STATE:-/run/mplsrepl-pw}
INTERVAL=${PW_AGENT_INTERVAL:-1}
PROC=${PW_AGENT_PROC:-/proc}
BATCH=$STATE/.batch
mkdir -p "$STATE"

# `mplsrepl-pw start`: run in the background unless it already does (the intent says it once
# a router has its first pseudowire; the agent stays for the lab's life).
if [ "${1:-}" = start ]; then
    pid=$(cat "$STATE/pid" 2>/dev/null)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then exit 0; fi
    nohup "$0" >>/var/log/frr/pseudowires.log 2>&1 </dev/null &
    echo $! > "$STATE/pid"
    exit 0
fi

log() { echo "$(date +%T) $*"; }

# Interfaces that take MPLS in (the core), where a pseudowire's label can arrive.
core_interfaces() {
    for f in "$PROC"/sys/net/mpls/conf/*/input; do
        [ -r "$f" ] || continue
        # dash's `read` gives the value but status 1 on a /proc file: only the value counts.
        v=
        read -r v <"$f"
        [ "$v" = 1 ] || continue
        d=${f%/input}; d=${d##*/}
        [ "$d" = lo ] || printf '%s ' "$d"
    done
}

# What FRR and the kernel know, in one pass: ldpd's pseudowires, their labels, zebra's routes,
# the neighbor table and the interfaces. One line per pseudowire:
# "IFNAME STATUS LOCAL REMOTE NEXTHOP DEV TRANSPORT NEXTHOP_MAC OWN_MAC TC_END_INDEX", LOCAL and
# REMOTE "unassigned" until known, "-" for what is not there (no installed route to the peer's
# /32, no neighbor entry, no mpwNx), TRANSPORT 3 (implicit null) when the next hop pops or the
# route carries no label. Nothing, and status 1, when something could not be read whole: then
# the round changes nothing.
snapshot() {
    {
        vtysh -c 'show l2vpn atom vc json' -c 'show l2vpn atom binding json' -c 'show ip route json' 2>/dev/null
        ip -j neigh show 2>/dev/null
        ip -j link show 2>/dev/null
    } | jq -rs '
        if length != 5 then error("not read whole") else . end |
        .[0] as $vc | .[1] as $bindings | .[2] as $routes | .[3] as $neigh |
        (.[4] | map({key: .ifname, value: .}) | from_entries) as $links |
        $vc | to_entries[] | .key as $pw | .value as $v |
        ($bindings["\($v.peerId): \($v.vcId)"] // {}) as $b |
        ([($routes["\($v.peerId)/32"] // [])[] | select(.selected == true)
          | .nexthops[]? | select(.fib == true and .ip != null)] | first) as $nh |
        ([$neigh[] | select(.dst == $nh.ip and .dev == $nh.interfaceName) | .lladdr // empty]
          | first) as $mac |
        [$pw, $v.status, ($b.localLabel // "unassigned"), ($b.remoteLabel // "unassigned"),
         ($nh.ip // "-"), ($nh.interfaceName // "-"), (($nh.labels // [3])[0]), ($mac // "-"),
         ($links[$nh.interfaceName // ""].address // "-"), ($links["\($pw)x"].ifindex // "-")]
        | map(tostring) | join(" ")'
}

# The MAC address of next hop $1 on $2, which the neighbor table lacked: asked for once.
resolve() {
    ping -c 1 -W 1 -I "$2" "$1" >/dev/null 2>&1
    ip -j neigh show "$1" dev "$2" 2>/dev/null | jq -r '.[0].lladdr // empty' 2>/dev/null
}

# Pseudowire mpwN's filters have preference 100+N, on every interface.
pref_of() { echo $((100 + ${1#mpw})); }

# Queue the removal of pseudowire $1's filters (its state file says where they are).
unprogram() {
    pw=$1
    [ -f "$STATE/$pw" ] || return 0
    pref=$(pref_of "$pw")
    read -r old <"$STATE/$pw"
    echo "filter del dev ${pw}x ingress pref $pref" >>"$BATCH"
    set -- $old
    if [ $# -gt 7 ]; then
        shift 7
        for d in "$@"; do echo "filter del dev $d ingress pref $pref" >>"$BATCH"; done
    fi
    rm -f "$STATE/$pw"
    log "$pw: data plane removed"
}

# Queue pseudowire $1's filters as its spec ($2, the line `round` builds) says; $3 is the spec
# it had, whose decapsulations on interfaces no longer in the core are removed.
program() {
    pw=$1 spec=$2 old=$3
    pref=$(pref_of "$pw")
    set -- $spec
    remote=$1 transport=$2 nh_mac=$3 own_mac=$4 dev=$5 local_label=$7
    shift 7
    decap=" $* "
    push=""
    [ "$transport" = 3 ] || push=" action mpls push label $transport"
    {
        echo "qdisc replace dev ${pw}x clsact"
        echo "filter replace dev ${pw}x ingress pref $pref handle 1 protocol all flower" \
            "action mpls mac_push label $remote$push" \
            "action vlan push_eth dst_mac $nh_mac src_mac $own_mac" \
            "action mirred egress redirect dev $dev"
        for d in $decap; do
            echo "qdisc replace dev $d clsact"
            echo "filter replace dev $d ingress pref $pref handle 1 protocol mpls_uc flower mpls_label $local_label" \
                "action vlan pop_eth action mpls pop protocol teb" \
                "action mirred egress redirect dev ${pw}x"
        done
        set -- $old
        if [ $# -gt 7 ]; then
            shift 7
            for d in "$@"; do
                case $decap in *" $d "*) ;; *) echo "filter del dev $d ingress pref $pref" ;; esac
            done
        fi
    } >>"$BATCH"
    echo "$spec" >"$STATE/$pw"
    log "$pw: $spec"
}

# One round: what each pseudowire should have, changed where it differs, in one `tc -batch`.
round() {
    cores=$(core_interfaces)
    state=$(snapshot) || return 0
    : >"$BATCH"
    seen=" " changed=""
    while read -r pw status local_label remote nh dev transport nh_mac own_mac x_index; do
        [ -n "$pw" ] || continue
        seen="$seen$pw "
        # Down, a label not known yet, no way to the peer, or no mpwNx: no data plane.
        [ "$status" = up ] || { unprogram "$pw"; continue; }
        case "$local_label$remote" in *[!0-9]*) unprogram "$pw"; continue ;; esac
        [ "$nh" != - ] && [ "$x_index" != - ] || { unprogram "$pw"; continue; }
        [ "$nh_mac" != - ] || nh_mac=$(resolve "$nh" "$dev")
        [ -n "$nh_mac" ] || continue
        spec="$remote $transport $nh_mac $own_mac $dev $x_index $local_label $cores"
        spec=${spec% }
        old=""
        [ -f "$STATE/$pw" ] && read -r old <"$STATE/$pw"
        [ "$spec" = "$old" ] || { program "$pw" "$spec" "$old"; changed="$changed $pw"; }
    done <<EOF
$state
EOF
    # Pseudowires ldpd no longer has.
    for f in "$STATE"/mpw*; do
        [ -f "$f" ] || continue
        pw=${f##*/}
        case $seen in *" $pw "*) ;; *) unprogram "$pw" ;; esac
    done
    [ -s "$BATCH" ] || return 0
    # A line that fails (a filter already gone with its interface) does not stop the others;
    # a pseudowire changed in a failed batch is programmed again next round.
    if ! out=$(tc -force -batch "$BATCH" 2>&1); then
        log "tc: $out"
        for pw in $changed; do rm -f "$STATE/$pw"; done
    fi
}

log "started"
while :; do
    round
    [ "${PW_AGENT_ONCE:-}" = 1 ] && break
    sleep "$INTERVAL"
done
