"""CPU-seconds of the processes a bench started, read from /proc (Linux): a Skein server, its
`skein executor` children, moto. Deltas of utime + stime around a query are the CPU that query cost
those processes (measured, not wall time × threads)."""

import os

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of one live process in seconds (0.0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            text = f.read()
    except OSError:
        return 0.0
    # the command name (field 2) may hold spaces: fields after it start past the last ')'
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def children(pid):
    """Pids whose parent is `pid` (the executor children of a Skein server)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii") as f:
                text = f.read()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(name))
    return sorted(out)


class CpuMeter:
    """Snapshots of named process groups; `delta()` gives CPU-seconds per group since `start()`."""

    def __init__(self, groups):
        self.groups = {k: list(v) for k, v in groups.items()}
        self.base = None

    def _now(self):
        return {k: sum(cpu_seconds(p) for p in pids) for k, pids in self.groups.items()}

    def start(self):
        self.base = self._now()

    def delta(self):
        now = self._now()
        return {k: now[k] - self.base[k] for k in now}
