"""MPEG-TS fixtures with SCTE-35 on its own PID, made by the project itself (issue 17).

An ffmpeg test pattern (H.264 + AAC in MPEG-TS, as the segment pool of
reference/server/media_library.h) is encoded once and cached in $SSAI_MEDIA_CACHE or
.cache/media/scte35-ts/ (not committed). Our own TS writer below then muxes SCTE-35
splice_info_sections into it: the PMT gains an elementary stream of stream_type 0x86 on PID
0x01F5 and a registration_descriptor "CUEI" in its program_info loop (SCTE 35 §8.1, §8.3), and
each cue's section goes, packetized (pointer_field 0, 0xFF stuffing), right after the first
packet of the first video PES whose PTS is at or after the cue's time. So what the scanner must
report is known exactly: the packet offset, the PTS of that video PES, and the section's fields.

The SCTE-35 sections are encoded here, in Python, independently of the C++ encoder: a
splice_insert (§9.7.3), a cancelled splice_insert, and a time_signal (§9.7.4) with a
segmentation_descriptor (§10.3.3). Written for Debian's /usr/bin/python3 without extra packages.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess

PACKET = 188
PTS_WRAP = 1 << 33
SCTE35_PID = 0x01F5
FFMPEG_VERSION_KEY = "v1"  # bump when the encode below changes


# --- CRC-32/MPEG-2 and bit writing ---------------------------------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        table.append(c & 0xFFFFFFFF)
    return table


_CRC_TABLE = _crc_table()


def crc32_mpeg2(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ b) & 0xFF]
    return crc


class Bits:
    def __init__(self):
        self.value = 0
        self.count = 0

    def put(self, width, v):
        assert 0 <= v < (1 << width), (width, v)
        self.value = (self.value << width) | v
        self.count += width
        return self

    def bytes(self):
        assert self.count % 8 == 0
        return self.value.to_bytes(self.count // 8, "big") if self.count else b""


# --- SCTE 35 sections ----------------------------------------------------------------------------

def splice_time(pts):
    return Bits().put(1, 1).put(6, 0x3F).put(33, pts % PTS_WRAP).bytes()


def splice_insert(event_id, *, out, pts=None, duration=None, cancel=False, program_id=1):
    b = Bits().put(32, event_id).put(1, 1 if cancel else 0).put(7, 0x7F)
    if not cancel:
        b.put(1, 1 if out else 0).put(1, 1).put(1, 1 if duration is not None else 0)
        b.put(1, 1 if pts is None else 0).put(1, 1).put(3, 0x7)
    cmd = b.bytes()
    if not cancel:
        if pts is not None:
            cmd += splice_time(pts)
        if duration is not None:
            cmd += Bits().put(1, 1).put(6, 0x3F).put(33, duration).bytes()
        cmd += Bits().put(16, program_id).put(8, 0).put(8, 0).bytes()
    return 0x05, cmd


def time_signal(pts):
    return 0x06, splice_time(pts)


def segmentation_descriptor(event_id, type_id, *, duration=None, upid=b"", upid_type=0x0C,
                            segment_num=1, segments_expected=1):
    b = Bits().put(32, 0x43554549).put(32, event_id).put(1, 0).put(1, 1).put(6, 0x3F)
    # program_segmentation_flag, segmentation_duration_flag, delivery_not_restricted_flag + 5 reserved
    b.put(1, 1).put(1, 1 if duration is not None else 0).put(1, 1).put(5, 0x1F)
    body = b.bytes()
    if duration is not None:
        body += duration.to_bytes(5, "big")
    body += bytes([upid_type, len(upid)]) + upid + bytes([type_id, segment_num, segments_expected])
    if type_id in (0x30, 0x32, 0x34, 0x36, 0x38, 0x3A, 0x44, 0x46):
        body += bytes([0, 0])  # sub_segment_num, sub_segments_expected
    return bytes([0x02, len(body)]) + body


def splice_info_section(command, descriptors=b"", pts_adjustment=0):
    cmd_type, cmd = command
    body = bytes([0x00])  # protocol_version
    body += Bits().put(1, 0).put(6, 0).put(33, pts_adjustment).bytes()  # encrypted, algorithm
    body += bytes([0x00])  # cw_index
    body += Bits().put(12, 0xFFF).put(12, len(cmd)).bytes()  # tier, splice_command_length
    body += bytes([cmd_type]) + cmd + len(descriptors).to_bytes(2, "big") + descriptors
    section_length = len(body) + 4
    head = bytes([0xFC]) + Bits().put(1, 0).put(1, 0).put(2, 3).put(12, section_length).bytes()
    section = head + body
    return section + crc32_mpeg2(section).to_bytes(4, "big")


# --- MPEG-TS -------------------------------------------------------------------------------------

def packets(ts):
    assert len(ts) % PACKET == 0, "not whole packets"
    for off in range(0, len(ts), PACKET):
        assert ts[off] == 0x47, f"byte {off}: lost sync"
        yield off, ts[off:off + PACKET]


def pid_of(pkt):
    return ((pkt[1] & 0x1F) << 8) | pkt[2]


def payload_of(pkt):
    afc = (pkt[3] >> 4) & 3
    if not afc & 1:
        return 4, b""
    start = 4 + (1 + pkt[4] if afc & 2 else 0)
    return start, pkt[start:]


def pes_pts(payload):
    if len(payload) < 14 or payload[:3] != b"\x00\x00\x01" or not payload[7] & 0x80:
        return None
    d = payload
    return (((d[9] >> 1) & 7) << 30) | (d[10] << 22) | ((d[11] >> 1) << 15) | (d[12] << 7) | (d[13] >> 1)


def packetize_section(pid, section, cc):
    """The packets carrying one section from a fresh packet; returns (bytes, next cc)."""
    out = b""
    data = b"\x00" + section  # pointer_field 0
    first = True
    while data:
        chunk, data = data[:184], data[184:]
        hdr = bytes([0x47, (0x40 if first else 0) | (pid >> 8), pid & 0xFF, 0x10 | cc])
        out += hdr + chunk + b"\xff" * (184 - len(chunk))
        cc = (cc + 1) & 0xF
        first = False
    return out, cc


def rewrite_pmt(pkt, pid=SCTE35_PID):
    """The PMT packet with an ES of stream_type 0x86 on `pid` and CUEI in program_info."""
    start, payload = payload_of(pkt)
    assert pkt[1] & 0x40 and payload[0] == 0, "PMT not at the start of its packet"
    sec = payload[1:]
    length = ((sec[1] & 0x0F) << 8) | sec[2]
    sec = sec[:3 + length]
    assert sec[0] == 0x02
    pil = ((sec[10] & 0x0F) << 8) | sec[11]
    reg = b"\x05\x04CUEI"
    prog_info = sec[12:12 + pil] + reg
    es = sec[12 + pil:-4] + bytes([0x86, 0xE0 | (pid >> 8), pid & 0xFF, 0xF0, 0x00])
    body = sec[3:10] + (0xF000 | len(prog_info)).to_bytes(2, "big") + prog_info + es
    new_len = len(body) + 4
    new = bytes([0x02, 0xB0 | (new_len >> 8), new_len & 0xFF]) + body
    new += crc32_mpeg2(new).to_bytes(4, "big")
    out = pkt[:start] + b"\x00" + new
    assert len(out) <= PACKET, "PMT grew past one packet"
    return out + b"\xff" * (PACKET - len(out))


def mux_scte35(ts, cues, pid=SCTE35_PID):
    """Inserts cues into `ts`. `cues`: list of (at_pts, make_section) in stream order; at_pts: the
    90 kHz time (mod 2^33, wrap-aware relative to the previous cue) after which the cue goes;
    make_section(video_pts) returns the section bytes. Returns (ts, expected), expected a list of
    {"packet_offset", "video_pts_ticks", "section"}."""
    pmt_pid = None
    video_pid = None
    out = bytearray()
    expected = []
    cc = 0
    pending = list(cues)
    last_pts = None
    unwrapped = None  # video PTS made monotonic across the wrap
    for off, pkt in packets(ts):
        p = pid_of(pkt)
        if p == 0 and pmt_pid is None:
            _, payload = payload_of(pkt)
            sec = payload[1 + payload[0]:]
            pmt_pid = ((sec[10] & 0x1F) << 8) | sec[11]
        elif p == pmt_pid:
            if video_pid is None:
                _, payload = payload_of(pkt)
                sec = payload[1 + payload[0]:]
                pil = ((sec[10] & 0x0F) << 8) | sec[11]
                i = 12 + pil
                length = ((sec[1] & 0x0F) << 8) | sec[2]
                while i + 5 <= 3 + length - 4:
                    if sec[i] in (0x01, 0x02, 0x1B, 0x24) and video_pid is None:
                        video_pid = ((sec[i + 1] & 0x1F) << 8) | sec[i + 2]
                    i += 5 + (((sec[i + 3] & 0x0F) << 8) | sec[i + 4])
            pkt = rewrite_pmt(pkt, pid)
        out += pkt
        if p == video_pid and pkt[1] & 0x40:
            pts = pes_pts(payload_of(pkt)[1])
            if pts is None:
                continue
            unwrapped = pts if unwrapped is None else unwrapped + ((pts - last_pts) % PTS_WRAP + PTS_WRAP // 2) % PTS_WRAP - PTS_WRAP // 2
            last_pts = pts
            while pending and unwrapped >= pending[0][0]:
                _, make = pending.pop(0)
                section = make(pts)
                expected.append({"packet_offset": len(out), "video_pts_ticks": pts, "section": section})
                data, cc = packetize_section(pid, section, cc)
                out += data
    assert not pending, f"{len(pending)} cues after the end of the stream"
    return bytes(out), expected


# --- the ffmpeg test pattern, cached ---------------------------------------------------------------

def cache_dir():
    base = os.environ.get("SSAI_MEDIA_CACHE") or str(pathlib.Path(__file__).resolve().parent.parent / ".cache" / "media")
    return pathlib.Path(base) / "scte35-ts"


def base_ts(seconds=8, ts_offset_s=None):
    """An H.264 + AAC test pattern TS (1 s GOPs, 25 fps, 320x180), made once with ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg not on PATH (scripts/bootstrap.sh installs it)"
    key = hashlib.sha256(f"{FFMPEG_VERSION_KEY}:{seconds}:{ts_offset_s}".encode()).hexdigest()[:12]
    path = cache_dir() / f"base-{key}.ts"
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.ts")
    args = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-preset", "veryfast",
            "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-b:v", "200k", "-threads", "1",
            "-c:a", "aac", "-b:a", "64k", "-ac", "1"]
    if ts_offset_s is not None:
        args += ["-output_ts_offset", str(ts_offset_s)]
    args += ["-f", "mpegts", str(tmp)]
    subprocess.run(args, check=True, timeout=120)
    os.replace(tmp, path)  # atomic: concurrent makers each write their own tmp
    return path.read_bytes()


# --- the four fixtures ---------------------------------------------------------------------------

SECOND = 90000


def fixture(name):
    """(ts bytes, expected cues) for one of FIXTURES. The first video PTS is ffmpeg's 1.4 s
    (plus the offset for pts_wrap); cues are placed relative to it."""
    if name == "pts_wrap":
        # Video from 95441.4 s: the 33-bit PTS wraps 2.3 s in (95443.717678 s).
        offset = 95440
        ts = base_ts(ts_offset_s=offset)
        t0 = int((offset + 1.4) * SECOND)
        cues = [
            (t0 + 1 * SECOND, lambda v: splice_info_section(splice_insert(
                0x2001, out=True, pts=(v + 2 * SECOND) % PTS_WRAP, duration=30 * SECOND))),
            (t0 + 5 * SECOND, lambda v: splice_info_section(splice_insert(
                0x2002, out=False, pts=(v + 1 * SECOND) % PTS_WRAP))),
        ]
    else:
        ts = base_ts()
        t0 = int(1.4 * SECOND)
        if name == "splice_insert":
            cues = [
                (t0 + 1 * SECOND, lambda v: splice_info_section(splice_insert(
                    0x1001, out=True, pts=v + 2 * SECOND, duration=4 * SECOND))),
                (t0 + 5 * SECOND, lambda v: splice_info_section(splice_insert(
                    0x1002, out=False, pts=v + 1 * SECOND))),
            ]
        elif name == "time_signal":
            upid = b"\x43\x55\x45\x49" + b"ssai-17"  # MPU(): format_identifier "CUEI" + private data
            cues = [
                (t0 + 1 * SECOND, lambda v: splice_info_section(
                    time_signal(v + 2 * SECOND),
                    segmentation_descriptor(0x4800008E, 0x34, duration=4 * SECOND, upid=upid))),
                (t0 + 5 * SECOND, lambda v: splice_info_section(
                    time_signal(v + 1 * SECOND),
                    segmentation_descriptor(0x4800008E, 0x35, upid=upid))),
            ]
        elif name == "cancelled":
            cues = [
                (t0 + 1 * SECOND, lambda v: splice_info_section(splice_insert(
                    0x3001, out=True, pts=v + 4 * SECOND, duration=10 * SECOND))),
                (t0 + 3 * SECOND, lambda v: splice_info_section(splice_insert(0x3001, out=True, cancel=True))),
            ]
        else:
            raise ValueError(name)
    return mux_scte35(ts, cues)


FIXTURES = ("splice_insert", "time_signal", "cancelled", "pts_wrap")

# --- a small synthetic TS for the conformance scenarios (committed: no ffmpeg needed) -------------

def _psi_packet(pid, section, cc):
    data = b"\x00" + section
    assert len(data) <= 184
    return bytes([0x47, 0x40 | (pid >> 8), pid & 0xFF, 0x10 | cc]) + data + b"\xff" * (184 - len(data))


def pat_section(pmt_pid=0x1000, program=1):
    body = (1).to_bytes(2, "big") + bytes([0xC1, 0x00, 0x00]) + program.to_bytes(2, "big") + \
        (0xE000 | pmt_pid).to_bytes(2, "big")
    head = bytes([0x00, 0xB0 | ((len(body) + 4) >> 8), (len(body) + 4) & 0xFF])
    sec = head + body
    return sec + crc32_mpeg2(sec).to_bytes(4, "big")


def pmt_section(video_pid=0x100, scte35_pid=SCTE35_PID, program=1):
    reg = b"\x05\x04CUEI"
    es = bytes([0x1B, 0xE0 | (video_pid >> 8), video_pid & 0xFF, 0xF0, 0x00])
    es += bytes([0x86, 0xE0 | (scte35_pid >> 8), scte35_pid & 0xFF, 0xF0, 0x00])
    body = program.to_bytes(2, "big") + bytes([0xC1, 0x00, 0x00]) + (0xE000 | video_pid).to_bytes(2, "big")
    body += (0xF000 | len(reg)).to_bytes(2, "big") + reg + es
    head = bytes([0x02, 0xB0 | ((len(body) + 4) >> 8), (len(body) + 4) & 0xFF])
    sec = head + body
    return sec + crc32_mpeg2(sec).to_bytes(4, "big")


def _video_packet(pid, pts, keyframe, cc):
    """One packet: a whole PES (stream_id 0xE0) with PTS and a tiny payload; a keyframe has
    random_access_indicator and a PCR in its adaptation field and an H.264 IDR NAL unit."""
    p = pts % PTS_WRAP
    pes = bytes([0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5,
                 0x21 | ((p >> 29) & 0x0E), (p >> 22) & 0xFF, 0x01 | ((p >> 14) & 0xFE), (p >> 7) & 0xFF,
                 0x01 | ((p << 1) & 0xFE)])
    pes += b"\x00\x00\x00\x01" + (b"\x65" if keyframe else b"\x41") + bytes(range(1, 40))
    af = bytes([0x00])  # adaptation field flags
    if keyframe:
        af = bytes([0x50, (p >> 25) & 0xFF, (p >> 17) & 0xFF, (p >> 9) & 0xFF, (p >> 1) & 0xFF,
                    ((p & 1) << 7) | 0x7E, 0x00])
    af += b"\xff" * (PACKET - 5 - len(af) - len(pes))  # stuffing (ISO/IEC 13818-1 §2.4.3.5)
    pkt = bytes([0x47, 0x40 | (pid >> 8), pid & 0xFF, 0x30 | cc, len(af)]) + af + pes
    assert len(pkt) == PACKET, len(pkt)
    return pkt


def synthetic_ts(seconds, cues, *, frame_s=1, gop_s=2, pts0=900000):
    """A TS of `seconds` of 'video' (one tiny frame every frame_s, a keyframe every gop_s) with
    PAT/PMT at the start and `cues`: a list of (after_s, section) placed after the frame at
    after_s. For playlist-level tests (conformance scenarios), not for players."""
    out = bytearray()
    cc = {0: 0, 0x1000: 0, 0x100: 0, SCTE35_PID: 0}
    out += _psi_packet(0, pat_section(), cc[0]); cc[0] += 1
    out += _psi_packet(0x1000, pmt_section(), cc[0x1000]); cc[0x1000] += 1
    pending = sorted(cues, key=lambda c: c[0])
    frames = int(round(seconds / frame_s))
    for f in range(frames):
        t = f * frame_s
        out += _video_packet(0x100, pts0 + int(round(t * SECOND)), abs(t / gop_s - round(t / gop_s)) < 1e-9,
                             cc[0x100] & 0xF)
        cc[0x100] += 1
        while pending and pending[0][0] <= t + 1e-9:
            data, cc[SCTE35_PID] = packetize_section(SCTE35_PID, pending.pop(0)[1], cc[SCTE35_PID])
            out += data
    assert not pending
    return bytes(out)


def conformance_ts(pts0=900000):
    """fixtures/scenarios/conformance/ts_breaks.ts (4 minutes, 2 s GOPs): a splice_insert OUT at
    30 s for 20 s (auto-return, cued 4 s ahead); a splice_insert OUT at 70 s cancelled at 66 s; a
    time_signal placement opportunity (0x34) at 90 s for 16 s, ended by its 0x35 at 106 s."""
    upid = b"\x43\x55\x45\x49" + b"ssai-17"
    at = lambda s: pts0 + s * SECOND
    cues = [
        (26, splice_info_section(splice_insert(1001, out=True, pts=at(30), duration=20 * SECOND))),
        (62, splice_info_section(splice_insert(1002, out=True, pts=at(70), duration=16 * SECOND))),
        (66, splice_info_section(splice_insert(1002, out=True, cancel=True))),
        (86, splice_info_section(time_signal(at(90)),
                                 segmentation_descriptor(0x4800008E, 0x34, duration=16 * SECOND, upid=upid))),
        (102, splice_info_section(time_signal(at(106)), segmentation_descriptor(0x4800008E, 0x35, upid=upid))),
    ]
    return synthetic_ts(240, cues, pts0=pts0)


def conformance_ts_mid_segment(pts0=900000):
    """fixtures/scenarios/conformance/ts_mid_segment.ts (4 minutes, 2 s GOPs): the splices fall
    inside segments, so the packager's markers and the SCTE-35 instants name different slots
    (ts_packager.h MarkedBreakOf): a splice_insert OUT at 31 s for 20 s (auto-return), a
    time_signal placement opportunity (0x34) at 91 s for 16 s, ended by its 0x35 at 107 s."""
    upid = b"\x43\x55\x45\x49" + b"ssai-18"
    at = lambda s: pts0 + s * SECOND
    cues = [
        (26, splice_info_section(splice_insert(1001, out=True, pts=at(31), duration=20 * SECOND))),
        (86, splice_info_section(time_signal(at(91)),
                                 segmentation_descriptor(0x4800008E, 0x34, duration=16 * SECOND, upid=upid))),
        (102, splice_info_section(time_signal(at(107)), segmentation_descriptor(0x4800008E, 0x35, upid=upid))),
    ]
    return synthetic_ts(240, cues, pts0=pts0)



def write_fixture(name, directory):
    """Writes DIR/NAME.ts and returns (path, expected)."""
    ts, expected = fixture(name)
    path = pathlib.Path(directory) / f"{name}.ts"
    path.write_bytes(ts)
    return path, expected


def fuzz_seeds():
    """Seeds for reference/media/ts/ts_fuzzer.cc (fixtures/corpus/ts/): byte 0 is the fuzzer's
    control byte (bit 0: it prepends its own PAT + PMT, SCTE-35 on 0x01F5, video on 0x0100)."""
    si = splice_info_section(splice_insert(0x1001, out=True, pts=900000, duration=30 * SECOND))
    ts_ = splice_info_section(time_signal(1800000), segmentation_descriptor(0x4800008E, 0x34, duration=4 * SECOND,
                                                                             upid=b"CUEIssai"))
    cancel = splice_info_section(splice_insert(0x1001, out=True, cancel=True))
    seeds = {}
    seeds["splice_insert"] = b"\x01" + packetize_section(SCTE35_PID, si, 0)[0]
    seeds["time_signal"] = b"\x01" + packetize_section(SCTE35_PID, ts_, 0)[0]
    # Two sections back to back in one packet, then stuffing.
    two = b"\x00" + si + cancel
    seeds["two_sections"] = b"\x01" + bytes([0x47, 0x41, 0xF5, 0x10]) + two + b"\xff" * (184 - len(two))
    # A section across three packets, fed in 7-byte chunks (control 0x05: bit 0 + chunk 1 + 2*3).
    big = splice_info_section(splice_insert(0x1002, out=True, pts=900000),
                              segmentation_descriptor(1, 0x34, upid=b"x" * 200) * 2)
    seeds["three_packets"] = b"\x05" + packetize_section(SCTE35_PID, big, 0)[0]
    # A whole stream: PAT, PMT, a video PES start and a cue from the splice_insert fixture.
    ts, expected = fixture("splice_insert")
    keep = []
    seen = set()
    for off, pkt in packets(ts):
        p = pid_of(pkt)
        if p in (0, 0x1000) and p not in seen or (p == 0x100 and off + PACKET == expected[0]["packet_offset"]):
            keep.append(pkt)
            seen.add(p)
        if off == expected[0]["packet_offset"]:
            keep.append(pkt)
            break
    seeds["stream"] = b"\x00" + b"".join(keep)
    return seeds


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 2 and sys.argv[1] == "--conformance-ts":
        pathlib.Path(sys.argv[2]).write_bytes(conformance_ts())
        print(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) > 2 and sys.argv[1] == "--conformance-ts-mid-segment":
        pathlib.Path(sys.argv[2]).write_bytes(conformance_ts_mid_segment())
        print(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) > 2 and sys.argv[1] == "--fuzz-seeds":
        seed_dir = pathlib.Path(sys.argv[2])
        seed_dir.mkdir(parents=True, exist_ok=True)
        for n, data in fuzz_seeds().items():
            (seed_dir / f"{n}.bin").write_bytes(data)
            print(seed_dir / f"{n}.bin", len(data), "bytes")
        sys.exit(0)
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for n in FIXTURES:
        p, exp = write_fixture(n, out)
        print(p, len(exp), "cues")
