#!/usr/bin/env python
"""Delay every packet a network namespace sends by a fixed time, without netem.

What ``tc qdisc add dev eth0 root netem delay 800ms`` does, for kernels built without the netem qdisc
(this machine's kernel has none: "Specified qdisc kind is unknown"): an iptables rule in the namespace's
OUTPUT chain (every interface but lo) hands each outgoing packet to NFQUEUE, and this process gives it
back (verdict ACCEPT) ``--delay`` seconds later, in order. Packets only wait; none is dropped or reordered.

Run it inside the namespace, as root, e.g. for a container:

    nsenter -t <container pid> -n python net_delay.py --delay 0.8 --seconds 30

It binds the queue first, then adds the rule (``--queue-bypass``: while nobody listens, packets pass
undelayed), prints "delaying" once packets are delayed, and on exit (after --seconds, SIGTERM or an
error) removes the rule and releases every packet still held. A run that is killed (SIGKILL) leaves the
rule, which then delays nothing (bypass) and goes with the namespace. Only the standard library: the
netlink messages are packed here (include/uapi/linux/netfilter/nfnetlink_queue.h).
"""

from __future__ import absolute_import, division, print_function

import argparse
import collections
import errno
import select
import signal
import socket
import struct
import subprocess
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT_BATCH = 0, 2, 3
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND, NFQNL_CFG_CMD_UNBIND = 1, 2
NFQNL_COPY_META = 1            # the packet's metadata only, not its payload
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NLMSG_HEADER = struct.Struct('=IHHII')      # length, type, flags, sequence, port id (host order)
NFGEN_HEADER = struct.Struct('!BBH')        # family, version, resource id (the queue, big-endian)
ATTR_HEADER = struct.Struct('=HH')          # length, type (host order)
COMMENT = 'dbops-bench-net-delay'


def _align(length):
    return (length + 3) & ~3


def attribute(kind, payload):
    """One netlink attribute: header, payload, padding to four bytes."""
    length = ATTR_HEADER.size + len(payload)
    return ATTR_HEADER.pack(length, kind) + payload + b'\0' * (_align(length) - length)


def message(msg_type, queue, attributes, sequence=0, flags=NLM_F_REQUEST, family=socket.AF_UNSPEC):
    """An nfnetlink queue message: netlink header, nfgenmsg (the queue number), attributes."""
    body = NFGEN_HEADER.pack(family, 0, queue) + b''.join(attributes)
    return NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags,
                             sequence, 0) + body


def _command(command):
    """NFQA_CFG_CMD: struct nfqnl_msg_config_cmd (command, padding, protocol family)."""
    return attribute(NFQA_CFG_CMD, struct.pack('!BBH', command, 0, socket.AF_INET))


def bind_messages(queue, max_packets):
    """Bind the queue, ask for metadata only, and let it hold max_packets (the kernel's default, 1024,
    drops packets once full: 800 ms of a busy connection can be more)."""
    params = [attribute(NFQA_CFG_PARAMS, struct.pack('!IB', 0, NFQNL_COPY_META)),
              attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack('!I', max_packets))]
    return [
        message(NFQNL_MSG_CONFIG, queue, [_command(NFQNL_CFG_CMD_BIND)], sequence=1, flags=NLM_F_REQUEST | NLM_F_ACK),
        message(NFQNL_MSG_CONFIG, queue, params, sequence=2, flags=NLM_F_REQUEST | NLM_F_ACK),
    ]


def unbind_message(queue):
    return message(NFQNL_MSG_CONFIG, queue, [_command(NFQNL_CFG_CMD_UNBIND)])


def verdict_batch(queue, last_id):
    """ACCEPT every packet of the queue whose id is up to last_id (ids grow by one per packet)."""
    return message(NFQNL_MSG_VERDICT_BATCH, queue, [attribute(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, last_id))])


def parse(data):
    """What the kernel sent (one or more netlink messages) -> (packet ids queued, [(sequence, errno)]):
    errno 0 is an acknowledgement, anything else a refusal."""
    ids, errors = [], []
    offset = 0
    while offset + NLMSG_HEADER.size <= len(data):
        length, msg_type, _flags, sequence, _port = NLMSG_HEADER.unpack_from(data, offset)
        if length < NLMSG_HEADER.size:
            break
        end = offset + length
        if msg_type == NLMSG_ERROR:
            errors.append((sequence, -struct.unpack_from('=i', data, offset + NLMSG_HEADER.size)[0]))
        elif msg_type == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            at = offset + NLMSG_HEADER.size + NFGEN_HEADER.size
            while at + ATTR_HEADER.size <= end:
                attr_length, attr_type = ATTR_HEADER.unpack_from(data, at)
                if attr_length < ATTR_HEADER.size:
                    break
                if attr_type & 0x7fff == NFQA_PACKET_HDR:
                    ids.append(struct.unpack_from('!I', data, at + ATTR_HEADER.size)[0])
                at += _align(attr_length)
        offset += _align(length)
    return ids, errors


class DelayLine(object):
    """Packets in the order they came, each released ``delay`` seconds after it came."""

    def __init__(self, delay):
        self.delay = delay
        self.held = collections.deque()
        self.last_seen = None

    def add(self, packet_id, now):
        self.held.append((now + self.delay, packet_id))
        self.last_seen = packet_id

    def due(self, now):
        """The last id whose time has come (a batch verdict releases it and every earlier one), or None."""
        last = None
        while self.held and self.held[0][0] <= now:
            last = self.held.popleft()[1]
        return last

    def wait(self, now, longest):
        """How long to sleep before the next release (at most ``longest``)."""
        if not self.held:
            return longest
        return max(0.0, min(longest, self.held[0][0] - now))


def rule(action, queue):
    return ['iptables', '-w', action, 'OUTPUT'] + (['1'] if action == '-I' else []) + [
        '!', '-o', 'lo', '-m', 'comment', '--comment', COMMENT,
        '-j', 'NFQUEUE', '--queue-num', str(queue), '--queue-bypass']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--delay', type=float, required=True, help='seconds each outgoing packet waits')
    parser.add_argument('--seconds', type=float, required=True, help='how long the delay lasts')
    parser.add_argument('--queue', type=int, default=7, help='NFQUEUE number (per network namespace)')
    parser.add_argument('--max-packets', type=int, default=65536)
    args = parser.parse_args(argv)
    if args.delay <= 0 or args.seconds <= 0:
        parser.error('--delay and --seconds must be positive')

    stop = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.append(True))
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)     # SO_RCVBUFFORCE: room for a burst
    except OSError:
        pass
    sock.bind((0, 0))
    for request in bind_messages(args.queue, args.max_packets):
        sock.send(request)
        _ids, errors = parse(sock.recv(65536))
        refused = [e for e in errors if e[1]]
        if refused:
            sys.stderr.write('net_delay: the kernel refused the queue configuration: %s\n'
                             % ', '.join(errno.errorcode.get(e[1], str(e[1])) for e in refused))
            return 2
    line = DelayLine(args.delay)
    added = subprocess.run(rule('-I', args.queue), capture_output=True, text=True, check=False)
    if added.returncode != 0:
        sys.stderr.write('net_delay: iptables: %s\n' % (added.stderr or added.stdout).strip())
        return 2
    sys.stdout.write('delaying %.3f s for %.1f s (queue %d)\n' % (args.delay, args.seconds, args.queue))
    sys.stdout.flush()
    end = time.monotonic() + args.seconds
    held_most = released = 0
    try:
        while not stop and time.monotonic() < end:
            now = time.monotonic()
            try:
                readable = select.select([sock], [], [], line.wait(now, min(0.2, max(0.0, end - now))))[0]
            except InterruptedError:
                continue
            if readable:
                try:
                    ids, _errors = parse(sock.recv(1 << 16))
                except OSError as exc:
                    if exc.errno != errno.ENOBUFS:       # a lost notice: its packet goes with a later batch
                        raise
                    ids = []
                now = time.monotonic()
                for packet_id in ids:
                    line.add(packet_id, now)
                held_most = max(held_most, len(line.held))
            last = line.due(time.monotonic())
            if last is not None:
                sock.send(verdict_batch(args.queue, last))
                released = last
    finally:
        removed = subprocess.run(rule('-D', args.queue), capture_output=True, text=True, check=False)
        if line.last_seen is not None:
            sock.send(verdict_batch(args.queue, line.last_seen))     # what is still held goes now
        sock.send(unbind_message(args.queue))
        sock.close()
        sys.stdout.write('released; rule removed: %s; most packets held at once %d; last id %s\n'
                         % ('yes' if removed.returncode == 0 else 'NO (%s)' % removed.stderr.strip(),
                            held_most, released))
        sys.stdout.flush()
    return 0 if removed.returncode == 0 else 3


if __name__ == '__main__':
    sys.exit(main())
