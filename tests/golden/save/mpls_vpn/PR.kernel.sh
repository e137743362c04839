#!/bin/sh
# Kernel state of PR that FRR does not own, applied before frr.conf.
# `mplsrepl run DIR` runs each line as a plain command (no shell syntax); by hand:
#   docker exec -i <lab>-PR sh < kernel.sh
set -e
sysctl -w net.mpls.conf.eth0.input=1
sysctl -w net.mpls.conf.eth1.input=1
sysctl -w net.mpls.platform_labels=100000
