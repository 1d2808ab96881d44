#!/usr/bin/env python3
"""Independent cross-check of the protected golden vectors in tests/wire.rs.

Reads the plain vectors (`golden()`), the checksummed and authenticated vectors
(`PROTECTED`, `HEARTBEAT_TAG_4`, `HEARTBEAT_TAG_16`) and the key from tests/wire.rs, and
checks them with implementations that share no code with the crate: every CRC-32 with
`zlib.crc32`, every tag with CMAC-AES-128 from the `cryptography` package, and the fields
before each trailer against the plain vector.

    python3 tests/wire_vectors.py
"""

import pathlib
import re
import zlib

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

SOURCE = (pathlib.Path(__file__).parent / "wire.rs").read_text()
KEY = re.search(r'const KEY: \[u8; 16\] = \*b"(.{16})";', SOURCE).group(1).encode()
TRAILER = bytes([0x01, 0x07, 0xAC, 0x02])  # key id 1, session 7, counter 300


def cmac(data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(KEY))
    mac.update(data)
    return mac.finalize()


golden = SOURCE[SOURCE.index("fn golden()") : SOURCE.index("fn largest()")]
plain = [
    bytes(int(byte, 16) for byte in re.findall(r"0x([0-9A-Fa-f]{2})", body))
    for body in re.findall(r"vec!\[([^\]]*)\]", golden)
]
table = SOURCE[SOURCE.index("const PROTECTED") :]
table = table[: table.index("];")]
protected = re.findall(r'\(\s*"([0-9a-f]+)",\s*"([0-9a-f]+)",?\s*\)', table)
assert len(plain) == len(protected) == 23, (len(plain), len(protected))

for fields, (checksummed, authenticated) in zip(plain, protected):
    checksummed = bytes.fromhex(checksummed)
    assert checksummed[0] == 3 and checksummed[1:-4] == fields[1:], checksummed.hex()
    crc = zlib.crc32(checksummed[:-4]).to_bytes(4, "little")
    assert checksummed[-4:] == crc, (checksummed.hex(), crc.hex())

    authenticated = bytes.fromhex(authenticated)
    signed, tag = authenticated[:-8], authenticated[-8:]
    assert authenticated[0] == 4 and signed == b"\x04" + fields[1:] + TRAILER, signed.hex()
    assert tag == cmac(signed)[:8], (authenticated.hex(), cmac(signed).hex())

heartbeat = bytes.fromhex(protected[0][1])[:-8]
for name, length in [("HEARTBEAT_TAG_4", 4), ("HEARTBEAT_TAG_16", 16)]:
    vector = bytes.fromhex(re.search(name + r': &str = "([0-9a-f]+)"', SOURCE).group(1))
    assert vector == heartbeat + cmac(heartbeat)[:length], name

print(f"{len(protected)} checksummed and {len(protected) + 2} authenticated vectors agree "
      "with zlib.crc32 and cryptography's CMAC-AES-128")
