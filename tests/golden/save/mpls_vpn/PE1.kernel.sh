#!/bin/sh
# Kernel state of PE1 that FRR does not own, applied before frr.conf.
# `mplsrepl run DIR` runs each line as a plain command (no shell syntax); by hand:
#   docker exec -i <lab>-PE1 sh < kernel.sh
set -e
sysctl -w net.mpls.conf.eth0.input=1
sysctl -w net.mpls.platform_labels=100000
ip link add CUSTA type vrf table 10
ip link set CUSTA up
ip link set eth1 master CUSTA
ip link add CUSTB type vrf table 20
ip link set CUSTB up
ip link set eth2 master CUSTB
