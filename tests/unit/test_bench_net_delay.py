# -*- coding: utf-8 -*-
"""bench/net_delay.py's pure parts: the nfnetlink queue messages it packs and parses, and the delay line
that releases packets in order. The kernel side (NFQUEUE in a container's namespace) is exercised by
make bench-faults FAULTS=slow_network_primary."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket
import struct
import sys

import pytest

BENCH = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'bench'))
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import net_delay as nd  # noqa: E402


def test_an_attribute_is_padded_to_four_bytes_and_says_its_unpadded_length():
    packed = nd.attribute(nd.NFQA_CFG_PARAMS, struct.pack('!IB', 0, nd.NFQNL_COPY_META))
    assert len(packed) == 12
    assert nd.ATTR_HEADER.unpack_from(packed) == (9, nd.NFQA_CFG_PARAMS)


def test_a_verdict_batch_accepts_up_to_an_id_of_the_queue():
    packed = nd.verdict_batch(7, 1234)
    length, msg_type, flags, _seq, _port = nd.NLMSG_HEADER.unpack_from(packed)
    assert length == len(packed)
    assert msg_type == (nd.NFNL_SUBSYS_QUEUE << 8) | nd.NFQNL_MSG_VERDICT_BATCH
    assert flags == nd.NLM_F_REQUEST
    family, _version, queue = nd.NFGEN_HEADER.unpack_from(packed, nd.NLMSG_HEADER.size)
    assert (family, queue) == (socket.AF_UNSPEC, 7)
    attr_at = nd.NLMSG_HEADER.size + nd.NFGEN_HEADER.size
    assert nd.ATTR_HEADER.unpack_from(packed, attr_at) == (12, nd.NFQA_VERDICT_HDR)
    assert struct.unpack_from('!II', packed, attr_at + 4) == (nd.NF_ACCEPT, 1234)


def test_binding_asks_for_acknowledgements():
    bind, params = nd.bind_messages(3, 4096)
    for message in (bind, params):
        assert nd.NLMSG_HEADER.unpack_from(message)[2] & nd.NLM_F_ACK
    assert struct.pack('!I', 4096) in params


def _packet(packet_id):
    body = nd.NFGEN_HEADER.pack(socket.AF_INET, 0, 7) + nd.attribute(7, b'\0' * 4) + nd.attribute(
        nd.NFQA_PACKET_HDR, struct.pack('!IHB', packet_id, 0x0800, 3))
    return nd.NLMSG_HEADER.pack(nd.NLMSG_HEADER.size + len(body), nd.NFNL_SUBSYS_QUEUE << 8, 0, 0, 0) + body


def test_parse_reads_every_packet_id_and_the_kernels_answers():
    error = nd.NLMSG_HEADER.pack(36, nd.NLMSG_ERROR, 0, 2, 0) + struct.pack('=i', -1) + b'\0' * 16
    ack = nd.NLMSG_HEADER.pack(36, nd.NLMSG_ERROR, 0, 1, 0) + struct.pack('=i', 0) + b'\0' * 16
    ids, errors = nd.parse(_packet(41) + _packet(42) + ack + error)
    assert ids == [41, 42]
    assert errors == [(1, 0), (2, 1)]       # acknowledged, then refused with EPERM
    assert nd.parse(b'') == ([], [])


def test_the_delay_line_releases_in_order_once_each_packet_has_waited():
    line = nd.DelayLine(0.8)
    line.add(1, now=10.0)
    line.add(2, now=10.1)
    line.add(3, now=10.5)
    assert line.due(10.79) is None
    assert line.wait(10.79, 0.2) == pytest.approx(0.01)
    assert line.due(10.95) == 2             # 1 and 2: one batch verdict up to 2
    assert line.wait(10.95, 0.2) == 0.2     # 3 is due at 11.3: sleep no longer than asked
    assert line.due(11.3) == 3
    assert line.due(20.0) is None and line.wait(20.0, 0.2) == 0.2
    assert line.last_seen == 3


def test_the_rule_sends_every_interface_but_loopback_to_the_queue_and_passes_packets_when_nobody_listens():
    insert, delete = nd.rule('-I', 7), nd.rule('-D', 7)
    assert insert[:5] == ['iptables', '-w', '-I', 'OUTPUT', '1']
    assert ['!', '-o', 'lo'] == insert[5:8]
    assert '--queue-bypass' in insert and insert[-3:-1] == ['--queue-num', '7']
    assert delete[2:4] == ['-D', 'OUTPUT'] and delete[4:] == insert[5:]
