#!/usr/bin/env python3
"""Sends one raw Parsec frame over a Unix socket and prints the reply's status.

usage: rawframe.py SOCKET (ping | HEX | -) [--hold SECONDS]
Prints "status=N opcode=N body_len=N" or "closed" when the service closed without a reply.
Frames are built by the caller in hex so tests can send anything, malformed on purpose.
"""
import socket
import struct
import sys
import time

PING = bytes.fromhex("10a7c05e1e00010000000000000000000000000000000000000000000100000000000000")


def main():
    path, what = sys.argv[1], sys.argv[2]
    frame = PING if what == "ping" else bytes.fromhex(sys.stdin.read() if what == "-" else what)
    hold = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--hold" else 0.0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(frame)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if hold:
        time.sleep(hold)
    else:
        # Half-close so a truncated frame is seen as a short read at once, not at the timeout.
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    data = b""
    try:
        while len(data) < 36:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    if len(data) < 36:
        print("closed")
        return 0
    magic, = struct.unpack_from("<I", data, 0)
    body_len, = struct.unpack_from("<I", data, 22)
    opcode, = struct.unpack_from("<I", data, 28)
    status, = struct.unpack_from("<H", data, 32)
    if magic != 0x5EC0A710:
        print("badmagic")
        return 1
    print(f"status={status} opcode={opcode} body_len={body_len}")
    if "--expect-ok" in sys.argv:
        return 0 if status == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
