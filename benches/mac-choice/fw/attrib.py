#!/usr/bin/env python3
"""Groups each image's symbols (arm-none-eabi-nm -S) by crate, to split MAC code from
compiler_builtins memcpy/memset that a real firmware links anyway."""
import subprocess, sys, pathlib, re, collections
T = sys.argv[1] if len(sys.argv) > 1 else "thumbv7em-none-eabihf"
d = pathlib.Path(__file__).parent / "out" / T
def group(name):
    if name.startswith("__aeabi_mem") or name.startswith("compiler_builtins::mem") or name in ("memcpy","memset","memclr","memmove"):
        return "mem*"
    m = re.match(r"<?([a-z_0-9]+)::", name)
    if m: return m.group(1)
    return "other"
for n in sys.argv[2:]:
    out = subprocess.run(["arm-none-eabi-nm", "-C", "-S", str(d / f"{n}.elf")], capture_output=True, text=True).stdout
    g = collections.Counter()
    for l in out.splitlines():
        p = l.split(None, 3)
        if len(p) == 4 and p[2] in "tTrR":
            g[group(p[3])] += int(p[1], 16)
    print(n, dict(sorted(g.items(), key=lambda x: -x[1])))
