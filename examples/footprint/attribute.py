#!/usr/bin/env python3
"""Where the flash goes: attributes every byte of an image's .text to the crate or
bellwether module whose code it is, using DWARF inline information, so that code inlined
into another function (most of it, with fat LTO) still counts for its origin.

Each instruction's inline chain (from arm-none-eabi-addr2line -i) is walked from the
innermost frame outwards; core's generic helpers (iterators, Option, slices, ...) are
skipped, so they count for the code that used them. Needs binutils-arm-none-eabi.

Usage (build with debug info, which leaves the code the same to within about 1%):

    cd examples/footprint
    CARGO_PROFILE_RELEASE_DEBUG=2 CARGO_TARGET_DIR=target/attribution \
        cargo build --release --bin footprint --features quorum
    python3 attribute.py target/attribution/thumbv7em-none-eabihf/release/footprint [GROUP]

With GROUP (a name as printed), also lists the innermost functions inside that group.
"""

import collections
import re
import subprocess
import sys

GROUPS = [
    ("compiler-builtins (memcpy, memmove, memset, shifts)", r"compiler_builtins|^__aeabi|^<\*(mut|const) \w+>::"),
    ("wire codec: serde derives and impls", r"serde"),
    ("wire codec: postcard", r"postcard"),
    ("heapless", r"heapless"),
    ("machine outliner (shared sequences)", r"^OUTLINED_FUNCTION"),
]
# An algorithm counts under its own name, not under the `algorithms` module that holds it.
BELLWETHER = re.compile(r"bellwether::(?:algorithms::(?=[a-z_]+::))?(\w+)")
FIRMWARE = re.compile(r"footprint|^(main|Reset|HardFault_|DefaultHandler_|DefaultPreInit)$")


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def classify(function):
    for name, pattern in GROUPS:
        if re.search(pattern, function):
            return name
    match = BELLWETHER.search(function)
    if match:
        return "bellwether::" + match.group(1)
    if FIRMWARE.search(function):
        return "firmware (driver, runtime)"
    if "core::" in function or function.startswith(("<[", "<u", "<i", "<&", "<bool", "<(")):
        return None  # a generic helper: counts for its caller
    return "other: " + function[:60]


def main():
    elf = sys.argv[1]
    detail_group = sys.argv[2] if len(sys.argv) > 2 else None
    text_size = text_start = None
    for line in run("arm-none-eabi-size", "-A", "-d", elf).splitlines():
        fields = line.split()
        if fields and fields[0] == ".text":
            text_size, text_start = int(fields[1]), int(fields[2])
    listing = run("arm-none-eabi-objdump", "-d", "--no-show-raw-insn", "-j", ".text", elf)
    addresses = sorted({int(m.group(1), 16) for m in re.finditer(r"^\s+([0-9a-f]+):\s", listing, re.M)})
    ends = addresses[1:] + [text_start + text_size]
    sizes = {address: end - address for address, end in zip(addresses, ends)}

    lines = run(
        "arm-none-eabi-addr2line", "-a", "-f", "-i", "-C", "-e", elf,
        stdin="".join(f"{address:#x}\n" for address in addresses),
    ).splitlines()
    chains, current, i = {}, None, 0
    while i < len(lines):
        if lines[i].startswith("0x"):
            current = int(lines[i], 16)
            chains[current] = []
            i += 1
        else:
            chains[current].append(lines[i])  # the function; the next line is file:line
            i += 2

    totals, detail = collections.Counter(), collections.Counter()
    for address in addresses:
        chain = chains.get(address) or ["??"]
        group = next((g for g in map(classify, chain) if g), "core (not inlined)")
        totals[group] += sizes[address]
        if group == detail_group:
            detail[chain[0]] += sizes[address]
    print(f"{elf}: .text {text_size} bytes")
    for group, size in totals.most_common():
        print(f"{size:7d}  {group}")
    for function, size in detail.most_common(30):
        print(f"    {size:6d}  {function[:140]}")


if __name__ == "__main__":
    main()
