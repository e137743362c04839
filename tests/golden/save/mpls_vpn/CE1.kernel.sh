#!/bin/sh
# Kernel state of CE1 that FRR does not own, applied before frr.conf.
# `mplsrepl run DIR` runs each line as a plain command (no shell syntax); by hand:
#   docker exec -i <lab>-CE1 sh < kernel.sh
set -e
