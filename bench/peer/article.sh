#!/usr/bin/env bash
# Peer (a) of the performance comparison: the reference walkthrough's procedure
# (/work/shared/spec/seed-lab.md, steps 2-8) replayed as a plain docker-CLI shell script, the
# way users automate it today. Same dockerd, same image, same FRR configuration as
# `mplsrepl render scripts/mpls_vpn.rhai [--profile fast]`, same addresses and timers.
#
#   DOCKER_HOST=tcp://127.0.0.1:23752 bench/peer/article.sh [article|fast]
#
# Like the article it works one router at a time (one `docker exec` per router per action),
# then after each step polls until the step's "Expect" lines hold (`until ...; do sleep 1; done`).
# PEER_PARALLEL=1 starts the seven containers concurrently instead (a tuned variant).
# Prints "peer: ..." timing lines; removes everything it created (containers peer-*, networks
# peer-net1..6) before and after. Exit 1 when a check does not hold within PEER_TIMEOUT s.
# FRR is started the way mplsrepl starts it (src/frr/start.rs): each daemon
# directly (`/usr/lib/frr/DAEMON -d -F traditional -A 127.0.0.1`), mgmtd (FRR >= 9) then zebra
# first, no watchfrr. The
# article runs `frrinit.sh restart`, whose watchfrr, on this loaded software-emulated VM, takes a
# daemon slow to open its vty for a dead one (ldpd was left dead in our first runs), so both sides
# use the same start.
set -uo pipefail
PROFILE=${1:-article}
IMAGE=${IMAGE:-labfrr:latest}
P=${PEER_PREFIX:-peer}
TIMEOUT=${PEER_TIMEOUT:-300}
ROUTERS="PR PE1 PE2 CE1 CE2 CE3 CE4"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "peer: $*"; }

cleanup() {
    for r in $ROUTERS; do docker rm -f "$P-$r" >/dev/null 2>&1; done
    for n in 1 2 3 4 5 6; do docker network rm "$P-net$n" >/dev/null 2>&1; done
    return 0
}

# until CMD succeeds, once a second; fails the run after TIMEOUT s
poll() {
    local what=$1; shift
    local t0; t0=$(now)
    local deadline=$(( $(date +%s) + TIMEOUT ))
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "FAIL $what (not true after ${TIMEOUT} s)"; cleanup; exit 1
        fi
        sleep 1
    done
    say "ok $what ($(since "$t0") s)"
}
vt() { local r=$1; shift; docker exec "$P-$r" vtysh "$@"; }
has() { local r=$1 cmd=$2; shift 2; local out; out=$(docker exec "$P-$r" vtysh -c "$cmd") || return 1
        for pat in "$@"; do grep -Eq -- "$pat" <<<"$out" || return 1; done; }
pings() { docker exec "$P-$1" ping -c 3 -W 2 -i 0.3 -I "$3" "$2"; }
no_ping() { ! docker exec "$P-$1" ping -c 2 -W 1 -i 0.3 -I "$3" "$2"; }

cleanup
T0=$(now)

# --- step 2: networks (the article's subnets) and privileged containers ---------------------
t=$(now)
docker network create --subnet 10.1.1.0/24   "$P-net1" >/dev/null || exit 1
docker network create --subnet 10.1.2.0/24   "$P-net2" >/dev/null || exit 1
docker network create --subnet 172.16.1.0/24 "$P-net3" >/dev/null || exit 1
docker network create --subnet 172.16.2.0/24 "$P-net4" >/dev/null || exit 1
docker network create --subnet 172.16.3.0/24 "$P-net5" >/dev/null || exit 1
docker network create --subnet 172.16.4.0/24 "$P-net6" >/dev/null || exit 1
say "networks created ($(since "$t") s)"

# router: first network/address, then further network/address pairs (connect order = ethN)
declare -A LINKS=(
  [PR]="net1 10.1.1.254 net2 10.1.2.254"
  [PE1]="net1 10.1.1.2 net3 172.16.1.254 net5 172.16.3.254"
  [PE2]="net2 10.1.2.2 net4 172.16.2.254 net6 172.16.4.254"
  [CE1]="net3 172.16.1.2" [CE2]="net4 172.16.2.2" [CE3]="net5 172.16.3.2" [CE4]="net6 172.16.4.2"
)
declare -A DAEMONS=( [PR]="ospfd ldpd" [PE1]="bgpd ospfd ldpd" [PE2]="bgpd ospfd ldpd"
                     [CE1]="" [CE2]="" [CE3]="" [CE4]="" )

daemons_file() {
    local r=$1 d on
    echo "mgmtd=yes"; echo "zebra=yes"; echo "staticd=yes"
    for d in bgpd ospfd ospf6d ripd ripngd isisd pimd ldpd nhrpd eigrpd babeld sharpd pbrd bfdd fabricd vrrpd pathd; do
        on=no; [[ " ${DAEMONS[$r]} " == *" $d "* ]] && on=yes; echo "$d=$on"
    done
    cat <<'D'
vtysh_enable=yes
zebra_options="  -A 127.0.0.1 -s 90000000"
staticd_options="-A 127.0.0.1"
bgpd_options="   -A 127.0.0.1"
ospfd_options="  -A 127.0.0.1"
ldpd_options="   -A 127.0.0.1"
D
}

start_router() {
    local r=$1; set -- ${LINKS[$r]}
    docker run -d --privileged --name "$P-$r" --hostname "$r" --network "$P-$1" --ip "$2" \
        --entrypoint tail "$IMAGE" -f /dev/null >/dev/null || return 1
    shift 2
    while [ $# -gt 0 ]; do docker network connect --ip "$2" "$P-$1" "$P-$r" || return 1; shift 2; done
    # Docker's addresses and routes go (the article's image did this in its start script)
    docker exec "$P-$r" sh -c 'for d in $(ls /sys/class/net); do [ $d = lo ] || ip addr flush dev $d; done; ip route flush table main' || return 1
    # daemons file, then FRR (the article: edit /etc/frr/daemons, frrinit.sh restart; see above)
    daemons_file "$r" | docker exec -i "$P-$r" sh -c 'cat > /etc/frr/daemons' || return 1
    docker exec "$P-$r" sh -c "echo 'service integrated-vtysh-config' > /etc/frr/vtysh.conf; printf 'frr defaults traditional\nhostname $r\nno ipv6 forwarding\n!\n' > /etc/frr/frr.conf; mkdir -p /var/log/frr /var/run/frr; chown -R frr:frr /etc/frr /var/log/frr /var/run/frr
      m=; [ -x /usr/lib/frr/mgmtd ] && m=mgmtd
      for d in \$m zebra staticd ${DAEMONS[$r]}; do opts='-A 127.0.0.1'; [ \$d = zebra ] && opts=\"\$opts -s 90000000\"
        /usr/lib/frr/\$d -d -F traditional \$opts >>/var/log/frr/start.log 2>&1 || exit 1
        if [ \$d = mgmtd ]; then for i in \$(seq 1 1500); do [ -S /var/run/frr/mgmtd_be.sock ] && break; sleep 0.2; done; fi
        if [ \$d = zebra ]; then for i in \$(seq 1 1500); do [ -S /var/run/frr/zserv.api ] && break; sleep 0.2; done; fi
      done" || return 1
}
frr_up() { local r=$1 d; for d in zebra staticd ${DAEMONS[$r]}; do docker exec "$P-$r" test -S /var/run/frr/$d.vty || return 1; done; }

t=$(now)
if [ "${PEER_PARALLEL:-0}" = 1 ]; then
    pids=(); for r in $ROUTERS; do start_router "$r" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || { say "FAIL starting a router"; cleanup; exit 1; }; done
else
    for r in $ROUTERS; do start_router "$r" || { say "FAIL starting $r"; cleanup; exit 1; }; done
fi
for r in $ROUTERS; do poll "$r FRR daemons answer" frr_up "$r"; done
CREATE=$(since "$T0")
say "7 containers up with FRR in $CREATE s"
say "step 1 took $CREATE s"

# --- step 4: OSPF ------------------------------------------------------------------------------
t=$(now)
if [ "$PROFILE" = fast ]; then
    IFT=(-c "ip ospf dead-interval 4" -c "ip ospf hello-interval 1" -c "ip ospf network point-to-point")
    OT=(-c "timers throttle spf 0 50 500" -c "timers throttle lsa all 0" -c "timers lsa min-arrival 0")
else IFT=(); OT=(); fi
vt PR  -c "conf t" -c "interface lo" -c "ip address 9.9.9.9/32" -c "interface eth0" -c "ip address 10.1.1.254/24" "${IFT[@]}" \
       -c "interface eth1" -c "ip address 10.1.2.254/24" "${IFT[@]}" \
       -c "router ospf" -c "network 9.9.9.9/32 area 0" -c "network 10.1.1.0/24 area 0" -c "network 10.1.2.0/24 area 0" "${OT[@]}"
vt PE1 -c "conf t" -c "interface lo" -c "ip address 1.1.1.1/32" -c "interface eth0" -c "ip address 10.1.1.2/24" "${IFT[@]}" \
       -c "interface eth1" -c "ip address 172.16.1.254/24" -c "interface eth2" -c "ip address 172.16.3.254/24" \
       -c "router ospf" -c "network 1.1.1.1/32 area 0" -c "network 10.1.1.0/24 area 0" "${OT[@]}"
vt PE2 -c "conf t" -c "interface lo" -c "ip address 2.2.2.2/32" -c "interface eth0" -c "ip address 10.1.2.2/24" "${IFT[@]}" \
       -c "interface eth1" -c "ip address 172.16.2.254/24" -c "interface eth2" -c "ip address 172.16.4.254/24" \
       -c "router ospf" -c "network 2.2.2.2/32 area 0" -c "network 10.1.2.0/24 area 0" "${OT[@]}"
poll "PR OSPF neighbors 1.1.1.1 and 2.2.2.2 Full" has PR "show ip ospf neighbor" '^1\.1\.1\.1 .*Full' '^2\.2\.2\.2 .*Full'
poll "PR OSPF routes to the PE loopbacks" has PR "show ip route ospf" 'O>\* 1\.1\.1\.1/32 .*via 10\.1\.1\.2, eth0' 'O>\* 2\.2\.2\.2/32 .*via 10\.1\.2\.2, eth1'
poll "PR ping 1.1.1.1" pings PR 1.1.1.1 9.9.9.9
poll "PR ping 2.2.2.2" pings PR 2.2.2.2 9.9.9.9
poll "PE1 OSPF route to 2.2.2.2" has PE1 "show ip route ospf" 'O>\* 2\.2\.2\.2/32'
poll "PE2 OSPF route to 1.1.1.1" has PE2 "show ip route ospf" 'O>\* 1\.1\.1\.1/32'
say "step 2 took $(since "$t") s"

# --- step 5: LDP -------------------------------------------------------------------------------
t=$(now)
if [ "$PROFILE" = fast ]; then LT=(-c "discovery hello holdtime 6" -c "discovery hello interval 1"); else LT=(); fi
docker exec "$P-PR"  sh -c 'sysctl -qw net.mpls.conf.eth0.input=1 net.mpls.conf.eth1.input=1 net.mpls.platform_labels=100000'
docker exec "$P-PE1" sh -c 'sysctl -qw net.mpls.conf.eth0.input=1 net.mpls.platform_labels=100000'
docker exec "$P-PE2" sh -c 'sysctl -qw net.mpls.conf.eth0.input=1 net.mpls.platform_labels=100000'
vt PR  -c "conf t" -c "mpls ldp" "${LT[@]}" -c "address-family ipv4" -c "discovery transport-address 9.9.9.9" -c "interface eth0" -c "exit" -c "interface eth1"
vt PE1 -c "conf t" -c "mpls ldp" "${LT[@]}" -c "address-family ipv4" -c "discovery transport-address 1.1.1.1" -c "interface eth0"
vt PE2 -c "conf t" -c "mpls ldp" "${LT[@]}" -c "address-family ipv4" -c "discovery transport-address 2.2.2.2" -c "interface eth0"
poll "PR LDP neighbors OPERATIONAL" has PR "show mpls ldp neighbor" '1\.1\.1\.1 .*OPERATIONAL' '2\.2\.2\.2 .*OPERATIONAL'
poll "PR LFIB pops (implicit-null) for 2 LDP FECs" sh -c "[ \$(docker exec $P-PR vtysh -c 'show mpls table' | grep -c 'LDP .*implicit-null') -ge 2 ]"
say "step 3 took $(since "$t") s"

# --- step 6: MP-BGP ----------------------------------------------------------------------------
t=$(now)
vt PE1 -c "conf t" -c "router bgp 65000" -c "neighbor 2.2.2.2 remote-as 65000" -c "neighbor 2.2.2.2 update-source 1.1.1.1" \
       -c "address-family ipv4 vpn" -c "neighbor 2.2.2.2 activate"
vt PE2 -c "conf t" -c "router bgp 65000" -c "neighbor 1.1.1.1 remote-as 65000" -c "neighbor 1.1.1.1 update-source 2.2.2.2" \
       -c "address-family ipv4 vpn" -c "neighbor 1.1.1.1 activate"
bgp_up() { local out; out=$(docker exec "$P-$1" vtysh -c "show bgp ipv4 vpn summary") || return 1
           grep -Eq "^$2 " <<<"$out" && ! grep -Eq "^$2 .*(never|Active|Connect|Idle|OpenSent|OpenConfirm)" <<<"$out"; }
poll "PE1 VPNv4 session to 2.2.2.2 Established" bgp_up PE1 2.2.2.2
poll "PE2 VPNv4 session to 1.1.1.1 Established" bgp_up PE2 1.1.1.1
say "step 4 took $(since "$t") s"

# --- step 7: VRFs ------------------------------------------------------------------------------
t=$(now)
vrf_pe() {
    local r=$1 lo=$2 ce_a=$3 ce_b=$4
    docker exec "$P-$r" sh -c 'ip link add CUSTA type vrf table 10 && ip link set CUSTA up && ip link set eth1 master CUSTA &&
                               ip link add CUSTB type vrf table 20 && ip link set CUSTB up && ip link set eth2 master CUSTB'
    vt "$r" -c "conf t" \
        -c "router bgp 65000 vrf CUSTA" -c "address-family ipv4 unicast" -c "redistribute static" -c "label vpn export auto" \
        -c "rd vpn export 1:100" -c "rt vpn both 10:100" -c "export vpn" -c "import vpn" -c "exit-address-family" -c "exit" \
        -c "router bgp 65000 vrf CUSTB" -c "address-family ipv4 unicast" -c "redistribute static" -c "label vpn export auto" \
        -c "rd vpn export 2:100" -c "rt vpn both 20:100" -c "export vpn" -c "import vpn" -c "exit-address-family" -c "exit" \
        -c "$ce_a" -c "$ce_b"
}
vrf_pe PE1 1.1.1.1 "ip route 192.168.1.0/24 172.16.1.2 vrf CUSTA" "ip route 192.168.3.0/24 172.16.3.2 vrf CUSTB"
vrf_pe PE2 2.2.2.2 "ip route 192.168.2.0/24 172.16.2.2 vrf CUSTA" "ip route 192.168.4.0/24 172.16.4.2 vrf CUSTB"
poll "PE1 eth1 in CUSTA, eth2 in CUSTB" has PE1 "show interface brief" 'eth1 .*CUSTA' 'eth2 .*CUSTB'
poll "PE2 eth1 in CUSTA, eth2 in CUSTB" has PE2 "show interface brief" 'eth1 .*CUSTA' 'eth2 .*CUSTB'
poll "PE1 VPNv4 table holds the 4 customer routes" has PE1 "show bgp ipv4 vpn" '192\.168\.1\.0/24' '192\.168\.2\.0/24' '192\.168\.3\.0/24' '192\.168\.4\.0/24'
poll "PE1 VRF CUSTA: 192.168.2.0/24 over BGP with two labels" has PE1 "show ip route vrf CUSTA 192.168.2.0/24" 'bgp' 'label [0-9]+/[0-9]+'
poll "PE1 VRF CUSTB: 192.168.4.0/24 over BGP with two labels" has PE1 "show ip route vrf CUSTB 192.168.4.0/24" 'bgp' 'label [0-9]+/[0-9]+'
say "step 5 took $(since "$t") s"

# --- step 8: CEs -------------------------------------------------------------------------------
t=$(now)
for n in 1 2 3 4; do
    vt "CE$n" -c "conf t" -c "interface lo" -c "ip address 192.168.$n.1/24" -c "interface eth0" -c "ip address 172.16.$n.2/24" \
        -c "ip route 0.0.0.0/0 172.16.$n.254"
done
poll "CE1 ping 192.168.2.1" pings CE1 192.168.2.1 192.168.1.1
poll "CE3 ping 192.168.4.1" pings CE3 192.168.4.1 192.168.3.1
poll "CE1 cannot reach 192.168.4.1 (isolation)" no_ping CE1 192.168.4.1 192.168.1.1
say "step 6 took $(since "$t") s"

say "all checks passed in $(since "$T0") s"
t=$(now)
cleanup
say "cleanup took $(since "$t") s"
