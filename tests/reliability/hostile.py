#!/usr/bin/env python3
"""Hostile clients against psh-service, each case with well-behaved probes running beside it.

usage: hostile.py SOCKET TIMEOUT_MS CASE [CASE...]
cases: slowloris idle flood vanish stall huge budget fdexhaust
A probe is a Ping (served on the event loop) and a GenerateRandom (served by a worker); every
case passes only if each probe is answered within the service's timeout (plus scheduling
slack), and the attackers are dealt with as documented. Prints one line per case and exits
non-zero if any case failed.
"""
import os
import resource
import socket
import struct
import sys
import threading
import time

MAGIC = 0x5EC0A710


def frame(opcode, body=b"", provider=0, auth_type=0, auth=b"", body_len=None, auth_len=None):
    hdr = struct.pack("<IHBBHBQBBBIHIHH", MAGIC, 30, 1, 0, 0, provider, 0, 0, 0, auth_type,
                      len(body) if body_len is None else body_len,
                      len(auth) if auth_len is None else auth_len, opcode, 0, 0)
    return hdr + body + auth


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


PING = frame(1)
RANDOM32 = frame(13, b"\x08" + varint(32), provider=1)
RANDOM_BIG = frame(13, b"\x08" + varint(1000000), provider=1)


def connect(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_reply(s):
    """Status of the reply, or None when the connection closed before a header."""
    data = b""
    while len(data) < 36:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout, OSError):
            return None
        if not chunk:
            return None
        data += chunk
    return struct.unpack_from("<H", data, 32)[0]


def transact(path, req, timeout):
    try:
        s = connect(path, timeout)
    except OSError:
        return None
    try:
        s.sendall(req)
        return read_reply(s)
    except OSError:
        return None
    finally:
        s.close()


class Probes(threading.Thread):
    """Well-behaved clients: a Ping and a GenerateRandom every 50 ms, each one retried until
    answered; records the worst time to an answer."""

    def __init__(self, path, timeout_s):
        super().__init__(daemon=True)
        self.path, self.timeout_s = path, timeout_s
        self.stop = threading.Event()
        self.worst = 0.0
        self.count = 0
        self.failed = []

    def one(self, req, want):
        t0 = time.monotonic()
        while time.monotonic() - t0 < 4 * self.timeout_s:
            st = transact(self.path, req, self.timeout_s * 3)
            if st == want:
                self.worst = max(self.worst, time.monotonic() - t0)
                self.count += 1
                return
            time.sleep(0.02)  # refused at max_connections: retry, as a client would
        self.failed.append(f"no answer in {4 * self.timeout_s:.1f}s")

    def run(self):
        while not self.stop.is_set():
            self.one(PING, 0)
            self.one(RANDOM32, 0)
            time.sleep(0.05)

    def finish(self):
        self.stop.set()
        self.join()


def with_probes(path, timeout_s, attack, bound_s):
    p = Probes(path, timeout_s)
    p.start()
    time.sleep(0.1)
    detail = attack()
    time.sleep(0.2)
    p.finish()
    ok = not p.failed and p.count > 0 and p.worst <= bound_s
    return ok, f"{detail}; probes answered={p.count} worst={p.worst * 1000:.0f}ms (bound {bound_s * 1000:.0f}ms)" + (
        f" failures={p.failed[:2]}" if p.failed else "")


def case_slowloris(path, t):
    """20 clients send a Ping one byte per second: each is cut off at the deadline."""
    def attack():
        socks = [connect(path) for _ in range(20)]
        cut = 0
        start = time.monotonic()
        for i in range(int(t) + 3):
            for s in socks:
                try:
                    s.send(PING[i:i + 1])
                except OSError:
                    pass
            time.sleep(1.0)
        for s in socks:
            s.settimeout(0.5)
            st = read_reply(s)
            cut += st in (15, None)
            s.close()
        held = time.monotonic() - start
        if cut != len(socks):
            raise AssertionError(f"slowloris: only {cut} of {len(socks)} were cut off")
        return f"20 slowloris clients cut off at the deadline (ConnectionError) after {held:.1f}s of trickling"
    return with_probes(path, t, attack, t + 1.0)


def case_idle(path, t):
    """1000 connections that never send anything, held past the deadline."""
    def attack():
        socks = []
        for _ in range(1000):
            try:
                socks.append(connect(path, 2 * t + 2))
            except OSError:
                break
        closed = 0
        for s in socks:
            st = read_reply(s)  # the service speaks first: ConnectionError at the deadline
            closed += st in (15, None)
            s.close()
        if len(socks) < 1000 or closed != len(socks):
            raise AssertionError(f"idle: opened {len(socks)}, closed by the service {closed}")
        return "1000 idle connections each closed by the service at its deadline"
    return with_probes(path, t, attack, t + 1.0)


def case_flood(path, t):
    """More idle connections than max_connections (1024): the excess is refused at once and
    well-behaved clients get in at the latest when the oldest idle ones reach the deadline."""
    def attack():
        socks, refused = [], 0
        for _ in range(1300):
            try:
                s = connect(path, 0.5)
                socks.append(s)
            except OSError:
                refused += 1
        time.sleep(t + 0.5)
        for s in socks:
            s.close()
        return f"1300 idle connections against max_connections=1024 ({refused} refused at connect)"
    return with_probes(path, t, attack, t + 1.0)


def case_fdexhaust(path, t):
    """Run against a service started with a small descriptor limit: 300 idle connections
    use up every descriptor it has; idle ones give way to well-behaved clients."""
    def attack():
        socks = []
        for _ in range(300):
            try:
                socks.append(connect(path, 0.5))
            except OSError:
                pass
        time.sleep(t + 0.5)
        for s in socks:
            s.close()
        return f"300 idle connections against a 48-descriptor service ({len(socks)} connected)"
    return with_probes(path, t, attack, t + 1.0)


def case_vanish(path, t):
    """Clients that vanish mid-request (half a header, half a body, RST) and mid-response
    (close without reading, read 10 bytes of a 1 MB reply and close)."""
    def attack():
        n = 0
        for i in range(200):
            s = connect(path)
            if i % 4 == 0:
                s.send(PING[:10])
            elif i % 4 == 1:
                s.send(RANDOM32[:38])
            elif i % 4 == 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.send(RANDOM32[:20])
            else:
                s.send(RANDOM_BIG)
                if i % 8 == 3:
                    s.recv(10)
            s.close()
            n += 1
        return f"{n} clients vanished mid-request or mid-response"
    return with_probes(path, t, attack, t + 1.0)


def case_stall(path, t):
    """Clients that ask for a 1 MB reply and never read it: each holds a reply in flight until
    the write deadline; workers must stay available to others."""
    def attack():
        socks = []
        for _ in range(16):
            s = connect(path)
            s.sendall(RANDOM_BIG)
            socks.append(s)
        time.sleep(t + 1.0)
        for s in socks:
            s.close()
        return "16 clients asked for 1 MB replies and never read them"
    return with_probes(path, t, attack, t + 1.0)


def case_huge(path, t):
    """Frames that claim huge lengths: the early failure arrives before any body is read."""
    def attack():
        cases = [
            ("body_len 4 GiB-1", frame(1, body_len=0xFFFFFFFF), 20),
            ("body_len 1 MiB+1", frame(13, provider=1, body_len=(1 << 20) + 1), 20),
            ("auth_len 65535 with no auth bytes", frame(1, auth_len=0xFFFF), None),
            ("hdr_size 65535 (all of it sent)", struct.pack("<IH", MAGIC, 0xFFFF) + b"\0" * 0xFFFF, 17),
        ]
        out = []
        for label, req, want in cases:
            s = connect(path, t + 2)
            s.sendall(req)
            st = read_reply(s)
            s.close()
            if want is not None and st != want:
                raise AssertionError(f"huge: {label}: status {st}, want {want}")
            out.append(f"{label}->{st}")
        return "huge lengths: " + ", ".join(out)
    return with_probes(path, t, attack, t + 1.0)


def case_budget(path, t):
    """100 clients each declare a 1 MiB body and send 700 KiB of it: the buffered-bytes budget
    (64 MiB) refuses the ones that would cross it with InsufficientMemory (1141)."""
    def attack():
        big = frame(13, b"\x08" * ((1 << 20) - 8), provider=1)
        socks, refused = [], 0
        for _ in range(100):
            s = connect(path, t + 2)
            try:
                s.sendall(big[:700 * 1024])
            except OSError:
                refused += 1
            socks.append(s)
        for s in socks:
            s.settimeout(t + 2)
            st = read_reply(s)
            refused += st == 1141
            s.close()
        if refused == 0:
            raise AssertionError("budget: 70 MiB of partial bodies and nobody was refused")
        return f"100 clients x 700 KiB of 1 MiB bodies: {refused} refused (1141) at the 64 MiB budget"
    return with_probes(path, t, attack, t + 1.0)


CASES = {"slowloris": case_slowloris, "idle": case_idle, "flood": case_flood,
         "vanish": case_vanish, "stall": case_stall, "huge": case_huge, "budget": case_budget,
         "fdexhaust": case_fdexhaust}


def pick_provider(path):
    """The worker probe's GenerateRandom goes to the first crypto provider that answers."""
    global RANDOM32, RANDOM_BIG
    for pid in (1, 2, 3):
        if transact(path, frame(13, b"\x08" + varint(32), provider=pid), 10) == 0:
            RANDOM32 = frame(13, b"\x08" + varint(32), provider=pid)
            RANDOM_BIG = frame(13, b"\x08" + varint(1000000), provider=pid)
            return pid
    return 1


def main():
    path, t = sys.argv[1], int(sys.argv[2]) / 1000.0
    pick_provider(path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(4096, hard) if hard != resource.RLIM_INFINITY else 4096
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    failed = 0
    for name in sys.argv[3:]:
        try:
            ok, detail = CASES[name](path, t)
        except AssertionError as e:
            ok, detail = False, str(e)
        print(f"hostile {name}: {'ok' if ok else 'FAIL'}: {detail}", flush=True)
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
