#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A NATS server that misbehaves on purpose, for evload_nats_test.sh.

usage: nats_fake.py MODE PORTFILE

Listens on a free loopback port, writes it to PORTFILE, serves one
connection as MODE says, and prints what it saw ("pubs N", "pong") on
standard output when the client has gone.  Modes:
  hello      greets with a line that is not INFO
  autherr    INFO, then -ERR 'Authorization Violation' for the CONNECT
  err        answers the greeting, then -ERR 'Boom' at the first PUB
  close      answers the greeting, then closes at the first PUB
  badlen     answers the greeting, then a MSG longer than announced
  ping       sends a PING of its own at the first PUB and answers the
             client's last PING only once its PONG came
  pubackerr  a JetStream that creates streams but fails every PubAck
"""
import json
import os
import socket
import sys

mode, portfile = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
# Renamed into place: the test never reads half a port number.
os.rename(portfile + ".tmp", portfile)
buf = b""
pubs = 0
got_pong = False
conn = None


def line():
    global buf
    while b"\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    ln, buf = buf.split(b"\r\n", 1)
    return ln.decode()


def payload(n):
    global buf
    while len(buf) < n + 2:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    p, buf = buf[:n], buf[n + 2:]
    return p


def send(s):
    try:
        conn.sendall(s.encode() if isinstance(s, str) else s)
    except OSError:
        pass


def msg(subject, body):
    send(b"MSG %s 1 %d\r\n%s\r\n" % (subject.encode(), len(body), body))


def serve():
    global got_pong, pubs
    if mode == "hello":
        send("HELLO\r\n")
    else:
        info = {"server_id": "fake", "version": "2.9.10", "max_payload": 1048576,
                "jetstream": mode == "pubackerr"}
        send("INFO " + json.dumps(info, separators=(",", ":")) + "\r\n")
    asked = owed = False
    while mode != "hello":
        ln = line()
        if ln is None:
            break
        op = ln.split(" ", 1)[0].upper()
        if op == "CONNECT" and mode == "autherr":
            send("-ERR 'Authorization Violation'\r\n")
            break
        if op == "PING":
            # The last PING waits for the answer to ours.
            if mode != "ping" or not asked or got_pong:
                send("PONG\r\n")
            else:
                owed = True
        elif op == "PONG":
            got_pong = True
            if owed:
                send("PONG\r\n")
        elif op == "PUB":
            args = ln.split()
            body = payload(int(args[-1]))
            if body is None:
                break
            if args[1].startswith("$JS.API.STREAM.CREATE."):
                msg(args[2], b'{"type":"create","config":{"name":"x"}}')
                continue
            pubs += 1
            if pubs > 1:
                continue
            if mode == "err":
                send("-ERR 'Boom'\r\n")
            elif mode == "close":
                break
            elif mode == "badlen":
                send("MSG x 1 2\r\nabc\r\n")
            elif mode == "ping":
                send("PING\r\n")
                asked = True
            if mode == "pubackerr":
                msg(args[2], b'{"error":{"code":503,"err_code":10077,'
                    b'"description":"maximum messages exceeded"}}')


# JetStream: the stream is made on a connection of its own, then the run.
for _ in range(2 if mode == "pubackerr" else 1):
    conn, _ = srv.accept()
    buf = b""
    serve()
    conn.close()
print("pubs %d%s" % (pubs, " pong" if got_pong else ""))
