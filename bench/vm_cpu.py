#!/usr/bin/env python3
"""Where the lab VM's CPU goes: sample it, timestamp a run's transcript, split it by phase.

  vm_cpu.py sample OUT [PERIOD]   every PERIOD s (default 10) append one sample of the VM to OUT
                                  (a JSON line: host time, /proc/stat's busy and irq ticks, the
                                  CPU time of dockerd, containerd, systemd, udev, the sampler and
                                  each container from their cgroups, FRR's daemons' ticks per
                                  command); runs until killed
  vm_cpu.py rss                   resident memory per command in the VM: processes, MiB each
  vm_cpu.py stamp                 copy stdin to stdout, each line prefixed with the host's time
  vm_cpu.py split SAMPLES LOG     the VM's CPU seconds in each phase of LOG (a stamped
                                  `mplsrepl run` transcript, plus "#phase NAME" / "#end" lines
                                  the caller writes), split into FRR's daemons, the rest of
                                  the routers' processes (kept shells, vtysh, ip), the engine
                                  (dockerd, containerd, its shims), systemd and udev, the
                                  sampler and the kernel; one JSON line per phase

A phase's figures are the difference of the samples nearest its start and end, so a phase is
only as exact as PERIOD. Units and containers are read from their cgroups (cpu.stat), which
keep the time of processes that ended (a vtysh, a `docker exec`); FRR's daemons from their
processes. A container removed within a phase takes its time with it: such a phase gives the
engine's and systemd's share only. The sampler runs in the VM (bash on the serial console).
"""
import json, re, subprocess, sys, time

MPLSREPL = "target/release/mplsrepl"
# The VM's busy and irq ticks (/proc/stat); the CPU time of each systemd unit that matters and of
# each container (cgroup v2 cpu.stat, kept when processes end); the FRR daemons' own ticks per
# command (their processes live until the lab goes). One awk for the cgroups (a process per
# container cost the sampler a quarter of the VM at 106 routers); cat, not awk, opens /proc's
# files: mawk stops at the first that a process ending took away.
SAMPLE = r"""awk '$1=="cpu" { b=0; for(i=2;i<=NF;i++) if (i!=5 && i!=6) b+=$i; print "busy", b; print "irq", $7+$8 }' /proc/stat
cd /sys/fs/cgroup/system.slice
awk '/^usage_usec/ { n=FILENAME; sub(/\/cpu.stat$/, "", n); sub(/^..\//, "", n)
  if (n ~ /^docker-/) print "scope", substr(n, 8, 12), $2
  else { if (n ~ /^system-serial/) n="sampler"; print "unit", n, $2 } }' \
  docker.service/cpu.stat containerd.service/cpu.stat systemd-udevd.service/cpu.stat \
  systemd-journald.service/cpu.stat ../init.scope/cpu.stat system-serial*/cpu.stat \
  $(ls -d docker-*.scope 2>/dev/null | sed 's|$|/cpu.stat|') 2>/dev/null
cat /proc/[0-9]*/stat 2>/dev/null | awk '{ if (!match($0, /\(.*\)/)) next; c=substr($0, RSTART+1, RLENGTH-2)
  if (c !~ /^(zebra|ospfd|ospf6d|ldpd|bgpd|isisd|mgmtd|staticd|bfdd|watchfrr|pathd|fabricd|pimd)$/) next
  split(substr($0, RSTART+RLENGTH+1), f, " "); t[c]+=f[12]+f[13] }
  END { for (c in t) print "daemon", c, t[c] }'
echo "hz $(getconf CLK_TCK)"
"""

def sample_once():
    out = subprocess.run([MPLSREPL, "vm", "sh", SAMPLE], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return None
    s = {"t": time.time(), "hz": 100, "unit": {}, "scope": {}, "daemon": {}}
    for parts in (l.split() for l in out.stdout.splitlines()):
        if len(parts) == 2 and parts[0] in ("busy", "irq", "hz") and parts[1].isdigit():
            s[parts[0]] = int(parts[1])
        elif len(parts) == 3 and parts[0] in ("unit", "scope", "daemon") and parts[2].isdigit():
            s[parts[0]][parts[1]] = int(parts[2])
    return s


def sampler(path, period):
    with open(path, "a") as f:
        while True:
            started = time.time()
            s = sample_once()
            if s is not None:
                f.write(json.dumps(s) + "\n")
                f.flush()
            time.sleep(max(0.0, period - (time.time() - started)))


def rss():
    out = subprocess.run([MPLSREPL, "vm", "sh", "ps -eo comm=,rss="], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    per = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            n, kib = per.get(parts[0], (0, 0))
            per[parts[0]] = (n + 1, kib + int(parts[1]))
    out = subprocess.run([MPLSREPL, "vm", "sh", "free -m | awk '/^Mem:/ {print $3, $2}'"],
                         capture_output=True, text=True, timeout=120).stdout
    free = next((l.split() for l in out.splitlines() if re.fullmatch(r"\d+ \d+", l.strip())), [])
    return {
        "used_mib": int(free[0]) if len(free) == 2 else None,
        "total_mib": int(free[1]) if len(free) == 2 else None,
        "per_process_mib": {c: [n, round(kib / n / 1024, 1)]
                            for c, (n, kib) in sorted(per.items(), key=lambda kv: -kv[1][1])[:14]},
    }


def stamp():
    for line in sys.stdin:
        sys.stdout.write(f"{time.time():.3f}\t{line}")
        sys.stdout.flush()


def phases(log):
    """(name, start, end) of each step of the run (its "== step N: title" line to its "step N
    took" line) and of each "#phase NAME" ... "#end" span the caller wrote."""
    out, open_step, open_phase = [], None, None
    for raw in open(log, errors="replace"):
        if "\t" not in raw:
            continue
        t, line = raw.split("\t", 1)
        t, line = float(t), line.strip()
        m = re.match(r"== step (\d+): (.*?)( ==)?$", line)
        if m:
            open_step = (f"step {m.group(1)}: {m.group(2)}", t)
            continue
        if re.match(r"step \d+ took", line) and open_step:
            out.append((open_step[0], open_step[1], t))
            open_step = None
        if line.startswith("#phase "):
            open_phase = (line[7:], t)
        elif line == "#end" and open_phase:
            out.append((open_phase[0], open_phase[1], t))
            open_phase = None
    return out


def nearest(samples, t):
    return min(samples, key=lambda s: abs(s["t"] - t))


def delta(a, b, key):
    """Microseconds or ticks gained in b over a for each name of a[key]; a name only in b
    (started in between) counts from zero; one only in a (gone) is left out."""
    return {k: v - a[key].get(k, 0) for k, v in b[key].items()}


def split(samples_path, log):
    samples = [json.loads(l) for l in open(samples_path) if l.strip()]
    result = []
    for name, start, end in phases(log):
        a, b = nearest(samples, start), nearest(samples, end)
        if b["t"] <= a["t"]:
            result.append({"phase": name, "seconds": round(end - start, 1), "vm_cpu": None})
            continue
        hz = a["hz"]
        wall = b["t"] - a["t"]
        unit = {k: v / 1e6 for k, v in delta(a, b, "unit").items()}
        routers = sum(delta(a, b, "scope").values()) / 1e6
        daemon = {k: v / hz for k, v in delta(a, b, "daemon").items()}
        gone = len(set(a["scope"]) - set(b["scope"]))
        protocols = sum(daemon.values())
        busy = (b["busy"] - a["busy"]) / hz
        engine = unit.get("docker.service", 0) + unit.get("containerd.service", 0)
        system = sum(unit.get(u, 0) for u in ("init.scope", "systemd-udevd.service",
                                             "systemd-journald.service"))
        sampler = unit.get("sampler", 0)
        result.append({
            "phase": name,
            "seconds": round(end - start, 1),
            "sampled": round(wall, 1),
            "vm_cpu": round(busy, 1),
            "vm_cpu_per_s": round(busy / wall, 2),
            # FRR's daemons, and what else ran in the routers (kept shells, vtysh, ip, tc):
            # routers whose containers went in the phase are not counted.
            "protocols": round(protocols, 1) if not gone else None,
            "in_routers": round(routers - protocols, 1) if not gone else None,
            "engine": round(engine, 1),
            "system": round(system, 1),
            "sampler": round(sampler, 1),
            "kernel": round(busy - engine - system - sampler - routers, 1) if not gone else None,
            "irq": round((b["irq"] - a["irq"]) / hz, 1),
            "routers_gone": gone,
            "daemons": {k: round(v, 1) for k, v in sorted(daemon.items(), key=lambda kv: -kv[1])
                        if v >= 0.1},
        })
    return result


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "sample":
        sampler(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 10.0)
    elif cmd == "rss":
        print(json.dumps(rss()))
    elif cmd == "stamp":
        stamp()
    elif cmd == "split":
        for p in split(sys.argv[2], sys.argv[3]):
            print(json.dumps(p))
    else:
        sys.exit(__doc__)
