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
# Environment: PW_AGENT_STATE (default /run/mplsrepl-pw), PW_AGENT_INTERVAL (seconds, default
# 1); for tests, PW_AGENT_ONCE=1 (one round) and PW_AGENT_PROC / PW_AGENT_SYS (instead of /proc
# and /sys).
set -u
STATE=${PW_AGENT_STATE:-/run/mplsrepl-pw}
INTERVAL=${PW_AGENT_INTERVAL:-1}
PROC=${PW_AGENT_PROC:-/proc}
SYS=${PW_AGENT_SYS:-/sys}
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
        [ "$(cat "$f")" = 1 ] || continue
        d=${f%/input}; d=${d##*/}
        [ "$d" = lo ] || echo "$d"
    done
}

# What FRR knows, in one vtysh call (each call costs a process start, slow in an emulated VM):
# ldpd's pseudowires, their labels, and zebra's routes. One line per pseudowire:
# "IFNAME STATUS LOCAL REMOTE NEXTHOP DEV TRANSPORT", LOCAL and REMOTE "unassigned" until
# known, NEXTHOP and DEV "-" without an installed route to the peer's /32, TRANSPORT 3 (implicit
# null) when the next hop pops or the route carries no label. Nothing, and status 1, when FRR
# could not be read whole: then the round changes nothing.
pseudowires() {
    vtysh -c 'show l2vpn atom vc json' -c 'show l2vpn atom binding json' -c 'show ip route json' 2>/dev/null |
        jq -rs '
            if length != 3 then error("FRR was not read whole") else . end |
            .[0] as $vc | .[1] as $bindings | .[2] as $routes |
            $vc | to_entries[] | .key as $pw | .value as $v |
            ($bindings["\($v.peerId): \($v.vcId)"] // {}) as $b |
            ([($routes["\($v.peerId)/32"] // [])[] | select(.selected == true)
              | .nexthops[]? | select(.fib == true and .ip != null)] | first) as $nh |
            "\($pw) \($v.status) \($b.localLabel // "unassigned") \($b.remoteLabel // "unassigned") \($nh.ip // "-") \($nh.interfaceName // "-") \(($nh.labels // [3])[0])"'
}

# The MAC address of $1 on $2, learnt by asking once if the neighbor table lacks it.
mac_of() {
    mac=$(ip -j neigh show "$1" dev "$2" 2>/dev/null | jq -r '.[0].lladdr // empty' 2>/dev/null)
    if [ -z "$mac" ]; then
        ping -c 1 -W 1 -I "$2" "$1" >/dev/null 2>&1
        mac=$(ip -j neigh show "$1" dev "$2" 2>/dev/null | jq -r '.[0].lladdr // empty' 2>/dev/null)
    fi
    echo "$mac"
}

# tc's preference for pseudowire mpwN's filters: one number each, on every interface.
pref_of() { echo $((100 + ${1#mpw})); }

ingress() {
    tc qdisc show dev "$1" 2>/dev/null | grep -q 'clsact\|ingress' || tc qdisc add dev "$1" clsact
}

# Remove pseudowire $1's filters (its spec in $STATE/$1 says where they are).
unprogram() {
    [ -f "$STATE/$1" ] || return 0
    pref=$(pref_of "$1")
    tc filter del dev "${1}x" ingress pref "$pref" 2>/dev/null
    for d in $(sed -n 's/^decap //p' "$STATE/$1"); do
        tc filter del dev "$d" ingress pref "$pref" 2>/dev/null
    done
    rm -f "$STATE/$1"
    log "$1: data plane removed"
}

# Program pseudowire $1 as the spec on stdin says, replacing what it had.
program() {
    pw=$1 spec=$(cat)
    unprogram "$pw"
    pref=$(pref_of "$pw")
    set -- $(echo "$spec" | sed -n 's/^encap //p')
    remote=$1 transport=$2 nh_mac=$3 own_mac=$4 dev=$5
    push=""
    [ "$transport" = 3 ] || push="action mpls push label $transport"
    ingress "${pw}x"
    # shellcheck disable=SC2086
    tc filter add dev "${pw}x" ingress pref "$pref" protocol all matchall \
        action mpls mac_push label "$remote" $push \
        action vlan push_eth dst_mac "$nh_mac" src_mac "$own_mac" \
        action mirred egress redirect dev "$dev" || return 1
    local_label=$(echo "$spec" | sed -n 's/^local //p')
    for d in $(echo "$spec" | sed -n 's/^decap //p'); do
        ingress "$d"
        tc filter add dev "$d" ingress pref "$pref" protocol mpls_uc flower mpls_label "$local_label" \
            action vlan pop_eth action mpls pop protocol teb \
            action mirred egress redirect dev "${pw}x" || return 1
    done
    echo "$spec" > "$STATE/$pw"
    log "$pw: $(echo "$spec" | tr '\n' ' ')"
}

# One round: what each pseudowire should have, changed where it differs.
round() {
    cores=$(core_interfaces)
    state=$(pseudowires) || return 0
    echo "$state" | while read -r pw status local_label remote nh dev transport; do
        [ -n "$pw" ] || continue
        echo "$pw" >> "$STATE/.seen"
        [ "$status" = up ] || { unprogram "$pw"; continue; }
        ip link show "${pw}x" >/dev/null 2>&1 || continue
        case "$local_label$remote" in *[!0-9]*) unprogram "$pw"; continue ;; esac
        [ "$nh" != - ] || { unprogram "$pw"; continue; }
        nh_mac=$(mac_of "$nh" "$dev")
        [ -n "$nh_mac" ] || continue
        own_mac=$(cat "$SYS/class/net/$dev/address")
        spec=$(printf 'encap %s %s %s %s %s\nlocal %s\n' "$remote" "$transport" "$nh_mac" "$own_mac" "$dev" "$local_label"
            for d in $cores; do echo "decap $d"; done)
        [ "$spec" = "$(cat "$STATE/$pw" 2>/dev/null)" ] || echo "$spec" | program "$pw"
    done
    # Pseudowires ldpd no longer has.
    for f in "$STATE"/mpw*; do
        [ -f "$f" ] || continue
        pw=${f##*/}
        grep -qx "$pw" "$STATE/.seen" 2>/dev/null || unprogram "$pw"
    done
    rm -f "$STATE/.seen"
}

log "started"
while :; do
    round
    [ "${PW_AGENT_ONCE:-}" = 1 ] && break
    sleep "$INTERVAL"
done
