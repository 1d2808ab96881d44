#!/usr/bin/env python3
"""Flash/RAM table from arm-none-eabi-size -A, minus the baseline image."""
import subprocess, sys, pathlib
T = sys.argv[1] if len(sys.argv) > 1 else "thumbv7em-none-eabihf"
d = pathlib.Path(__file__).parent / "out" / T
def secs(p):
    out = subprocess.run(["arm-none-eabi-size", "-A", str(p)], capture_output=True, text=True, check=True).stdout
    s = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[0].startswith("."):
            s[f[0]] = int(f[1])
    return s
def memstar(p):
    out = subprocess.run(["arm-none-eabi-nm", "-C", "-S", str(p)], capture_output=True, text=True, check=True).stdout
    t = 0
    for l in out.splitlines():
        f = l.split(None, 3)
        if len(f) == 4 and (f[3].startswith("__aeabi_mem") or f[3].startswith("compiler_builtins::mem")):
            t += int(f[1], 16)
    return t
def fr(s):
    flash = sum(s.get(k, 0) for k in (".vector_table", ".text", ".rodata", ".data"))
    ram = s.get(".data", 0) + s.get(".bss", 0)
    return flash, ram
names = [l.split("|")[0].strip('" ') for l in open(pathlib.Path(__file__).parent / "build-all.sh") if l.strip().startswith('"') and "|" in l]
base = fr(secs(d / "baseline.elf")); bmem = memstar(d / "baseline.elf")
print(f"| image ({T}) | .text | .rodata | .data | .bss | flash | RAM | flash − baseline | of which mem* builtins | flash − baseline − mem* | RAM − baseline |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in names:
    p = d / f"{n}.elf"
    if not p.exists():
        continue
    s = secs(p); f, r = fr(s)
    print(f"| {n} | {s.get('.text',0)} | {s.get('.rodata',0)} | {s.get('.data',0)} | {s.get('.bss',0)} | {f} | {r} | {f-base[0]:+d} | {memstar(p)-bmem} | {f-base[0]-(memstar(p)-bmem):+d} | {r-base[1]:+d} |")
