#!/usr/bin/env python3
"""Where the flash goes: attributes every byte of an image's .text to the crate or
bellwether module whose code it is, using DWARF inline information, so that code inlined
into another function (most of it, with fat LTO) still counts for its origin.

Each instruction's inline chain (from arm-none-eabi-addr2line -i) is walked from the
innermost frame outwards; core's generic helpers (iterators, Option, slices, ...) are
skipped, so they count for the code that used them. Needs binutils-arm-none-eabi and the
thumbv7em-none-eabihf target.

Usage, from examples/footprint:

    python3 attribute.py --write

builds the bully, quorum and all-algorithm images with debug info (in
target/attribution; the attribution needs it, and with rustc 1.95 it left .text the same
to the byte) and writes
benches/results/footprint-attribution.md: bytes per crate and module, the formatting code
linked, and the largest stack frames. To look at one image, and inside one group:

    CARGO_PROFILE_RELEASE_DEBUG=2 CARGO_TARGET_DIR=target/attribution \\
        cargo build --release --bin footprint --features quorum
    python3 attribute.py target/attribution/thumbv7em-none-eabihf/release/footprint [GROUP]

With GROUP (a name as printed), also lists the innermost functions inside that group.
"""

import collections
import os
import pathlib
import re
import subprocess
import sys

GROUPS = [
    ("compiler-builtins (memcpy, memmove, memset, 64-bit arithmetic)",
     r"compiler_builtins|^__aeabi|^__\w+[sdt]i\d$|^<\*(mut|const) \w+>::"),
    ("wire codec: serde derives and impls", r"serde"),
    ("wire codec: postcard", r"postcard"),
    ("heapless", r"heapless"),
    ("machine outliner (shared sequences)", r"^OUTLINED_FUNCTION"),
]
# An algorithm counts under its own name, not under the `algorithms` module that holds it.
BELLWETHER = re.compile(r"bellwether::(?:algorithms::(?=[a-z_]+::))?(\w+)")
FIRMWARE = re.compile(
    r"footprint|^(main|Reset|HardFault_|DefaultHandler_|DefaultPreInit)$|rust_begin_unwind")
FIRMWARE_GROUP = "this firmware (driver, runtime, panic handler)"

CRATE = pathlib.Path(__file__).resolve().parent
REPORT = CRATE.parent.parent / "benches" / "results" / "footprint-attribution.md"
TARGET = "thumbv7em-none-eabihf"
ALGORITHMS = "bully,next-in-line,candidates,invitation,ring,quorum"
IMAGES = [("bully", "bully"), ("quorum", "quorum"), ("all", ALGORITHMS)]


def run(*args, stdin=None, env=None, cwd=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True,
                          env=env, cwd=cwd).stdout


def classify(function):
    for name, pattern in GROUPS:
        if re.search(pattern, function):
            return name
    match = BELLWETHER.search(function)
    if match:
        return "bellwether::" + match.group(1)
    if FIRMWARE.search(function):
        return FIRMWARE_GROUP
    if "core::" in function or function.startswith(("<[", "<u", "<i", "<&", "<bool", "<(")):
        return None  # a generic helper: counts for its caller
    return "other: " + function[:60]


def attribute(elf):
    """Bytes of .text per group, the innermost function of each instruction with its
    group, and the size of .text."""
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

    totals, innermost = collections.Counter(), collections.Counter()
    for address in addresses:
        chain = chains.get(address) or ["??"]
        group = next((g for g in map(classify, chain) if g), "core (not inlined)")
        totals[group] += sizes[address]
        innermost[(group, chain[0])] += sizes[address]
    return totals, innermost, text_size


def formatting_bytes(elf):
    """Bytes of functions from core::fmt in the image."""
    total = 0
    for line in run("arm-none-eabi-nm", "--print-size", "--radix=d", "-C", elf).splitlines():
        fields = line.split(maxsplit=3)
        if len(fields) == 4 and fields[2] in "tT" and "core::fmt" in fields[3]:
            total += int(fields[1])
    return total


def stack_frames(elf):
    """Each function's frame: what its prologue reserves (pushed registers, `sub sp`)."""
    listing = run("arm-none-eabi-objdump", "-d", "-C", "--no-show-raw-insn", "-j", ".text", elf)
    frames, function, seen = {}, None, 0
    for line in listing.splitlines():
        start = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if start:
            function, seen = start.group(1), 0
            frames[function] = 0
            continue
        fields = line.split("\t")
        if function is None or len(fields) < 2:
            continue
        seen += 1
        if seen > 8:  # the prologue is over
            continue
        op, args = fields[1].strip(), fields[2] if len(fields) > 2 else ""
        registers = re.search(r"\{(.*)\}", args)
        if op in ("push", "push.w") or (op == "stmdb" and args.startswith("sp!")):
            frames[function] += 4 * len(registers.group(1).split(","))
        elif op == "vpush":
            count = len(registers.group(1).split(","))
            frames[function] += count * (8 if registers.group(1).strip().startswith("d") else 4)
        elif op in ("sub", "sub.w", "subw") and args.startswith("sp,"):
            frames[function] += int(re.search(r"#(\d+)", args).group(1))
    return frames


def build(name, features):
    env = dict(os.environ, CARGO_PROFILE_RELEASE_DEBUG="2", CARGO_TARGET_DIR="target/attribution")
    run("cargo", "build", "--release", "--quiet", "--bin", "footprint", "--features", features,
        env=env, cwd=CRATE)
    elf = CRATE / "target" / "attribution" / f"{name}.elf"
    built = CRATE / "target" / "attribution" / TARGET / "release" / "footprint"
    elf.write_bytes(built.read_bytes())
    return str(elf)


def write_report():
    rustc = " ".join(run("rustc", "--version").split()[:2])
    results = {}
    for name, features in IMAGES:
        print(f"attribute: building {name} (features {features})", file=sys.stderr)
        elf = build(name, features)
        totals, _, text_size = attribute(elf)
        results[name] = (totals, text_size, formatting_bytes(elf), stack_frames(elf))

    names = [name for name, _ in IMAGES]
    groups = sorted({g for totals, *_ in results.values() for g in totals},
                    key=lambda g: (-results["all"][0][g], g))
    out = [
        "# Where the flash goes, module by module (thumbv7em-none-eabihf)",
        "",
        f"Generated by `python3 examples/footprint/attribute.py --write` with {rustc}, from the",
        "images of `examples/footprint` (`Engine<16>`, `opt-level = \"z\"`, fat LTO) built with",
        "debug info. Every byte of `.text` counts for the crate or bellwether module whose code it",
        "is, inlined code included (DWARF inline information); core's generic helpers count for",
        "the code that uses them. `all` has every algorithm compiled in. The images' flash and RAM",
        "are in `footprint.md`.",
        "",
        "| `.text` bytes | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for group in groups:
        cells = [f"{results[n][0][group]:,}" if results[n][0][group] else "–" for n in names]
        out.append(f"| {group} | " + " | ".join(cells) + " |")
    out.append("| **total `.text`** | " + " | ".join(f"**{results[n][1]:,}**" for n in names) + " |")
    out += [
        "",
        "Formatting code (`core::fmt`) linked: " + ", ".join(
            f"{n} {results[n][2]:,} bytes" for n in names) + ".",
        "",
        "Largest stack frames: what a function's prologue reserves (pushed registers and",
        "`sub sp`). These are single frames, not the stack a firmware needs, which is their sum",
        "along the deepest call chain (not computed here: the images make indirect calls).",
        "",
        "| image | function | frame bytes |",
        "|---|---|---:|",
    ]
    for name in names:
        frames = results[name][3]
        for function, size in sorted(frames.items(), key=lambda item: -item[1])[:4]:
            out.append(f"| {name} | `{function[:90]}` | {size:,} |")
    REPORT.write_text("\n".join(out) + "\n")
    print("\n".join(out))


def print_image(elf, detail_group):
    totals, innermost, text_size = attribute(elf)
    print(f"{elf}: .text {text_size} bytes")
    for group, size in totals.most_common():
        print(f"{size:7d}  {group}")
    detail = collections.Counter(
        {function: size for (group, function), size in innermost.items() if group == detail_group})
    for function, size in detail.most_common(30):
        print(f"    {size:6d}  {function[:140]}")


def main():
    if sys.argv[1:] == ["--write"]:
        write_report()
    elif len(sys.argv) in (2, 3) and not sys.argv[1].startswith("-"):
        print_image(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
