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


def scenario_seeds():
    for path in sorted((ROOT / "tests/scenarios").rglob("*.rcs")):
        write("fuzz_scenario", path.name, path.read_bytes())
    inc = (ROOT / "tests/scenarios/common/dmacopy_regs.rcs")
    if inc.exists():
        write("fuzz_scenario", "with_include", b'include "x.rcs"\ndelay 10\n\0' + inc.read_bytes())


if __name__ == "__main__":
    for t in ("fuzz_client_msg", "fuzz_server_msg", "fuzz_tlp_decode", "fuzz_scenario"):
        shutil.rmtree(OUT / t, ignore_errors=True)
    transcript_seeds()
    tlp_seeds()
    scenario_seeds()
