#!/usr/bin/env bash
# Malformed frames over the real socket: each gets its spec 1.5 status (default header) or a
# closed connection, and the service answers the next request.
. "$(dirname "$0")/lib.sh"

write_config Direct
start_service || exit 1

# The spec 1.6 Ping request, then variants of it.
PING=10a7c05e1e00010000000000000000000000000000000000000000000100000000000000
frame() { # frame OFFSET HEXBYTE: the ping with one byte replaced
  python3 -c "import sys; b=bytearray.fromhex('$PING'); b[$1]=int('$2',16); print(b.hex())"
}
expect() { # expect "desc" HEX "status=N opcode=1" ...
  local d=$1 hex=$2 want=$3 got
  got=$($RAW "$SOCK" "$hex" 2>&1)
  check_contains "$d" "$got" "$want"
  got=$($RAW "$SOCK" ping 2>&1)
  check_contains "$d: next request answered" "$got" "status=0 opcode=1"
}

expect "valid ping" "$PING" "status=0 opcode=1 body_len=2"
expect "bad magic" "$(frame 0 11)" "status=17 opcode=1"
expect "bad version" "$(frame 6 02)" "status=4 opcode=1"
expect "bad hdr_size" "$(frame 4 1d)" "status=17 opcode=1"
expect "reserved byte set" "$(frame 35 01)" "status=17 opcode=1"
expect "oversized body length" "$(frame 25 7f)" "status=20 opcode=1"
expect "content type" "$(frame 19 01)" "status=2 opcode=1"
expect "unknown opcode" "$(frame 28 1d)" "status=9 opcode=1"
expect "unknown provider" "$(frame 10 09)" "status=6 opcode=1"
expect "unknown auth type" "$(frame 21 07)" "status=12 opcode=1"
# A truncated header or a body shorter than body_len: the client stops sending and closes
# its side; the service answers ConnectionError or just closes.
got=$($RAW "$SOCK" "${PING:0:40}" 2>&1)
case "$got" in "closed"|*"status=15"*) ok ;; *) fail "truncated header: $got" ;; esac
check_contains "after truncated header" "$($RAW "$SOCK" ping)" "status=0"
short_body=$(python3 -c "b=bytearray.fromhex('$PING'); b[22]=8; print((bytes(b)+b'\x08').hex())")
got=$($RAW "$SOCK" "$short_body" 2>&1)
case "$got" in "closed"|*"status=15"*) ok ;; *) fail "short body: $got" ;; esac
check_contains "after short body" "$($RAW "$SOCK" ping)" "status=0"
# Garbage protobuf body on Ping.
garbage=$(python3 -c "b=bytearray.fromhex('$PING'); b[22]=4; print((bytes(b)+bytes.fromhex('ffffffff')).hex())")
expect "garbage body" "$garbage" "status=7 opcode=1"
# Pure noise.
expect "random bytes" "$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')" "status=17"

check "service still alive" kill -0 "$SERVICE_PID"
finish
