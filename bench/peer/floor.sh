#!/usr/bin/env bash
# The floor's measurable part: start the seed lab's 7 containers (same image, privileged, no
# networks) concurrently and start FRR in each with its role's daemons, one `docker exec` per
# router, until every daemon's vty socket exists. Nothing else: no networks, no interface
# renaming, no configuration. Prints "floor: 7 containers up with FRR in X s"; removes the
# containers (floor-*) before and after. FRR is started as mplsrepl starts it (daemons
# directly, mgmtd (FRR >= 9) then zebra first, no watchfrr).
#
# RING=N: the ring of bench/gen_ring.py N instead (N P routers with ospfd and ldpd, 2 PEs with
# bgpd too, 4 CEs), started PAR at a time (default 12, as many engine calls as mplsrepl has in
# flight); with FLOOR_NETWORKS=veth its N+6 links are veth pairs.
#
# FLOOR_NETWORKS=1: the lab's 6 networks are created first (concurrently) and each container
# is created on its networks (first one at create, the others connected before start), as any
# tool must do for this lab on Docker; the time includes them. Prints "floor+networks: ...".
set -uo pipefail
IMAGE=${IMAGE:-labfrr:latest}
P=${FLOOR_PREFIX:-floor}
declare -A DAEMONS=( [PR]="ospfd ldpd" [PE1]="bgpd ospfd ldpd" [PE2]="bgpd ospfd ldpd"
                     [CE1]="" [CE2]="" [CE3]="" [CE4]="" )
# The seed lab's links: router -> its networks, first one first.
declare -A NETS=( [PR]="net1 net2" [PE1]="net1 net3 net5" [PE2]="net2 net4 net6"
                  [CE1]="net3" [CE2]="net4" [CE3]="net5" [CE4]="net6" )
WITH_NETWORKS=${FLOOR_NETWORKS:-0}
RING=${RING:-}
PAR=${PAR:-0}   # 0: every router at once
declare -A ENDS=( [net1]="PR PE1" [net2]="PR PE2" [net3]="PE1 CE1" [net4]="PE2 CE2" [net5]="PE1 CE3" [net6]="PE2 CE4" )
if [ -n "$RING" ]; then
    [ "$WITH_NETWORKS" != 1 ] || { echo "floor: RING with FLOOR_NETWORKS=1 is not made" >&2; exit 2; }
    [ "$PAR" -gt 0 ] || PAR=12
    DAEMONS=( [PE1]="bgpd ospfd ldpd" [PE2]="bgpd ospfd ldpd" [CE1]="" [CE2]="" [CE3]="" [CE4]="" )
    ENDS=()
    far=$(( RING / 2 + 1 ))
    for k in $(seq 1 "$RING"); do
        DAEMONS[P$k]="ospfd ldpd"
        ENDS[r$k]="P$k P$(( k % RING + 1 ))"
    done
    ENDS[a1]="P1 PE1"; ENDS[a2]="P$far PE2"
    ENDS[c1]="PE1 CE1"; ENDS[c2]="PE2 CE2"; ENDS[c3]="PE1 CE3"; ENDS[c4]="PE2 CE4"
fi
cleanup() {
    for r in "${!DAEMONS[@]}"; do echo "$P-$r"; done | xargs -P 12 -n 8 docker rm -f >/dev/null 2>&1
    for n in 1 2 3 4 5 6; do docker network rm "$P-net$n" >/dev/null 2>&1; done
    return 0
}
start_container() {
    local r=$1
    if [ "$WITH_NETWORKS" != 1 ]; then  # none, or veth (wired after start)
        docker run -d --privileged --name "$P-$r" --hostname "$r" --network none --entrypoint tail "$IMAGE" -f /dev/null >/dev/null
        return
    fi
    local nets=(${NETS[$r]}) n
    docker create --privileged --name "$P-$r" --hostname "$r" --network "$P-${nets[0]}" --entrypoint tail "$IMAGE" -f /dev/null >/dev/null || return 1
    for n in "${nets[@]:1}"; do docker network connect "$P-$n" "$P-$r" || return 1; done
    docker start "$P-$r" >/dev/null
}
one() {
    local r=$1 d on script
    script="cat > /etc/frr/daemons <<'X'
mgmtd=yes
zebra=yes
staticd=yes
"
    for d in bgpd ospfd ospf6d ripd ripngd isisd pimd ldpd nhrpd eigrpd babeld sharpd pbrd bfdd fabricd vrrpd pathd; do
        on=no; [[ " ${DAEMONS[$r]} " == *" $d "* ]] && on=yes; script+="$d=$on
"
    done
    script+='vtysh_enable=yes
zebra_options="  -A 127.0.0.1 -s 90000000"
staticd_options="-A 127.0.0.1"
bgpd_options="   -A 127.0.0.1"
ospfd_options="  -A 127.0.0.1"
ldpd_options="   -A 127.0.0.1"
X
echo "service integrated-vtysh-config" > /etc/frr/vtysh.conf
printf "frr defaults traditional\n!\n" > /etc/frr/frr.conf
mkdir -p /var/log/frr /var/run/frr; chown -R frr:frr /etc/frr /var/log/frr /var/run/frr
m=; [ -x /usr/lib/frr/mgmtd ] && m=mgmtd
for d in $m zebra staticd '"${DAEMONS[$r]}"'; do opts="-A 127.0.0.1"; [ $d = zebra ] && opts="$opts -s 90000000"
  /usr/lib/frr/$d -d -F traditional $opts >>/var/log/frr/start.log 2>&1 || exit 1
  if [ $d = mgmtd ]; then for i in $(seq 1 1500); do [ -S /var/run/frr/mgmtd_be.sock ] && break; sleep 0.2; done; fi
  if [ $d = zebra ]; then for i in $(seq 1 1500); do [ -S /var/run/frr/zserv.api ] && break; sleep 0.2; done; fi
done
for i in $(seq 600); do up=1; for d in zebra staticd '"${DAEMONS[$r]}"'; do [ -S /var/run/frr/$d.vty ] || up=0; done; [ $up = 1 ] && exit 0; sleep 0.5; done; exit 1'
    start_container "$r" && docker exec "$P-$r" sh -c "$script"
}
cleanup
t0=$(date +%s.%N)
if [ "$WITH_NETWORKS" = 1 ]; then
    npids=(); for n in 1 2 3 4 5 6; do docker network create --label mplsrepl.bench=floor "$P-net$n" >/dev/null & npids+=($!); done
    for p in "${npids[@]}"; do wait "$p" || { echo "floor: FAIL (network)"; cleanup; exit 1; }; done
fi
rc=0
if [ "$PAR" -gt 0 ]; then
    failed=$(mktemp)
    for r in "${!DAEMONS[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$PAR" ]; do wait -n; done
        { one "$r" || echo "$r" >>"$failed"; } &
    done
    wait
    [ -s "$failed" ] && rc=1
    rm -f "$failed"
else
    pids=(); for r in "${!DAEMONS[@]}"; do one "$r" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
fi
t1=$(date +%s.%N)
if [ "$WITH_NETWORKS" = veth ] && [ $rc = 0 ]; then
    declare -A PID=()
    names=(); for r in "${!DAEMONS[@]}"; do names+=("$P-$r"); done
    while read -r name pid; do PID[${name#/$P-}]=$pid; done < <(docker inspect -f '{{.Name}} {{.State.Pid}}' "${names[@]}")
    wire=""
    for n in "${!ENDS[@]}"; do
        set -- ${ENDS[$n]}
        wire+="ip link add $n-a netns ${PID[$1]} type veth peer name $n-b netns ${PID[$2]} || exit 1; "
    done
    docker run --rm --privileged --pid host --network host --entrypoint sh "$IMAGE" -c "$wire" || rc=1
    t1=$(date +%s.%N)
    [ -z "${FLOOR_SHOW_LINKS:-}" ] || docker exec "$P-PE1" ip -br link
fi
cleanup
what=floor; [ "$WITH_NETWORKS" = 1 ] && what=floor+networks; [ "$WITH_NETWORKS" = veth ] && what=floor+veth
[ $rc = 0 ] || { echo "$what: FAIL (a container or FRR did not start)"; exit 1; }
echo "$what: ${#DAEMONS[@]} containers up with FRR in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
