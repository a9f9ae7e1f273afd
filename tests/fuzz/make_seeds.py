#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ from the golden transcripts
(tests/transcripts/*.jsonl), the scenario files (tests/scenarios/) and a few
hand-written TLPs. Run from anywhere; the output is committed, so the build
needs no Python. Input layouts are the ones each fuzz target documents."""
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/fuzz/corpus"


def write(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def transcript_seeds():
    for path in sorted((ROOT / "tests/transcripts").glob("*.jsonl")):
        stem = path.stem
        msgs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        twin = any(m["dir"] == "c2s" and b"twin_socket" in bytes.fromhex(m["hex"]) for m in msgs)
        sent = {}  # (msg_id, cmd) -> request payload
        c2s_main = b""
        for m in msgs:
            raw = bytes.fromhex(m["hex"])
            if len(raw) < 16:
                continue  # an EOF marker
            msg_id = int.from_bytes(raw[0:2], "little")
            cmd = int.from_bytes(raw[2:4], "little")
            if m["dir"] == "c2s":
                sent[(msg_id, cmd)] = raw[16:]
                if m["sock"] == "main":
                    c2s_main += raw
                continue
            req = sent.get((msg_id, cmd), b"")[:255]
            flags = (m["fds"] & 3) | (4 if twin else 0)
            seed = bytes([flags, len(req)]) + req + raw
            write("fuzz_client_msg", f"{stem}_{m['seq']:03d}", seed)
        write("fuzz_server_msg", f"{stem}_c2s_main", b"\x00" + c2s_main)


def msg(msg_id, cmd, payload, reply=False):
    size = 16 + len(payload)
    return (msg_id.to_bytes(2, "little") + cmd.to_bytes(2, "little") + size.to_bytes(4, "little")
            + (1 if reply else 0).to_bytes(4, "little") + bytes(4) + payload)


def u32(v):
    return v.to_bytes(4, "little")


def u64(v):
    return v.to_bytes(8, "little")


def queue_seeds():
    """fuzz_server_queue: a doorbell DMA with client commands, a reset and an
    unmap arriving before its reply (server DMA ids count from 1)."""
    base = 0x10000000
    json_caps = b'{"capabilities":{"max_msg_fds":8,"max_data_xfer_size":1048576}}\0'
    setup = (msg(1, 1, bytes([0, 0, 2, 0]) + json_caps)
             + msg(2, 2, u32(32) + u32(3) + u64(0) + u64(base) + u64(0x1000))
             + msg(3, 10, u64(0) + u32(0) + u32(8) + u64(base))
             + msg(4, 10, u64(8) + u32(0) + u32(8) + u64(16)))
    ring_read = msg(5, 10, u64(0x10) + u32(0) + u32(4) + u32(1))
    ring_write = msg(5, 10, u64(0x10) + u32(0) + u32(4) + u32(0))
    cfg_read = msg(6, 9, u64(0) + u32(7) + u32(4))
    read_reply = msg(1, 11, u64(base) + u64(16) + bytes(range(16)), reply=True)
    write_reply = msg(1, 12, u64(base) + u64(16), reply=True)
    reset = msg(7, 13, b"")
    unmap = msg(7, 3, u32(24) + u32(0) + u64(base) + u64(0x1000))
    seeds = {
        "read_then_cfg_queued": (0, setup + ring_read + cfg_read + read_reply),
        "write_then_cfg_queued": (0, setup + ring_write + cfg_read + write_reply),
        "read_limit_64": (1 << 2, setup + ring_read + cfg_read + cfg_read + read_reply),
        "read_reset_mid": (0, setup + ring_read + reset + read_reply),
        "write_unmap_mid": (0, setup + ring_write + unmap + write_reply),
        "read_eof_mid": (0, setup + ring_read + cfg_read),
    }
    for name, (flags, stream) in seeds.items():
        write("fuzz_server_queue", name, bytes([flags]) + stream)


TLPS = {
    # fmt/type, length, requester/tag/BEs, address: as the spec draws them.
    "memrd32": "00000001" "0100010f" "00001000",
    "memwr64": "60000001" "0100000f" "00000001" "00000000" "11223344",
    "memrd64_len0": "20000000" "0100ffff" "00000001" "00000ffc",
    "cpld": "4a000001" "00000004" "01000100" "aabbccdd",
    "cpl_ur": "0a000000" "00201000" "01000100",
    "msg_assert_inta": "34000000" "01000020" "00000000" "00000000",
    "cfgrd0": "04000001" "0000010f" "01000010",
}


def tlp_seeds():
    for width_sel in range(3):
        for name, hexs in TLPS.items():
            write("fuzz_tlp_decode", f"{name}_w{width_sel}", bytes([width_sel]) + bytes.fromhex(hexs))


def hostile_mig_seeds():
    """fuzz_client_msg: the replies of tests/hostile's mig-* modes (hand-written),
    each with the request it answers: MIG_DATA_READ of 64 bytes answered with
    size 80 (overflow), size 16 and 8 bytes (size lies), size 16 and 128 bytes
    (excess); SET MIG_DEVICE_STATE STOP_COPY echoed as RUNNING."""
    read_req = u32(8 + 64) + u32(64)
    reads = {
        "mig_data_overflow": u32(8 + 80) + u32(80) + bytes(80),
        "mig_data_size_lies": u32(8 + 16) + u32(16) + bytes(8),
        "mig_data_excess": u32(8 + 16) + u32(16) + bytes(128),
    }
    for name, body in reads.items():
        write("fuzz_client_msg", name,
              bytes([0, len(read_req)]) + read_req + msg(9, 17, body, reply=True))
    set_req = u32(16) + u32((1 << 17) | 2) + u32(3) + u32(0xffffffff)
    bad = u32(16) + u32((1 << 17) | 2) + u32(2) + u32(0xffffffff)
    write("fuzz_client_msg", "mig_bad_state",
          bytes([0, len(set_req)]) + set_req + msg(9, 16, bad, reply=True))


def scenario_seeds():
    for path in sorted((ROOT / "tests/scenarios").rglob("*.rcs")):
        write("fuzz_scenario", path.name, path.read_bytes())
    inc = (ROOT / "tests/scenarios/common/dmacopy_regs.rcs")
    if inc.exists():
        write("fuzz_scenario", "with_include", b'include "x.rcs"\ndelay 10\n\0' + inc.read_bytes())


if __name__ == "__main__":
    for t in ("fuzz_client_msg", "fuzz_server_msg", "fuzz_server_queue", "fuzz_tlp_decode",
              "fuzz_scenario"):
        shutil.rmtree(OUT / t, ignore_errors=True)
    transcript_seeds()
    queue_seeds()
    tlp_seeds()
    hostile_mig_seeds()
    scenario_seeds()
