#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates a replay fixture from a capture in /work/shared/corpus: one line per TCP segment
# of one connection, "<C|S> <epoch-ns> <hex payload>" (C = client to server). Retransmissions and
# empty segments are dropped; segments stay in capture order, which interleaves the directions
# the way the stream layer would.
#   usage: extract.sh CAPTURE TCP_STREAM_INDEX SERVER_PORT > NAME.stream.txt
set -eu
cap=$1; stream=$2; port=$3
tshark -r "$cap" -o tcp.desegment_tcp_streams:FALSE \
  -Y "tcp.stream==$stream && tcp.len>0 && !tcp.analysis.retransmission" \
  -T fields -e tcp.srcport -e frame.time_epoch -e tcp.payload |
awk -v port="$port" '{
  split($2, t, "."); frac = substr(t[2] "000000000", 1, 9);
  printf "%s %s%s %s\n", ($1 == port ? "S" : "C"), t[1], frac, $3 }'
