// Package cot owns Cursor-on-Target (CoT) and TAK Protocol v1 for
// borderwatch: a purpose-built XML decoder and encoder for CoT events, a
// hand-written protobuf codec for TakMessage, the stream and datagram
// framing TAK clients use, and a server that takes CoT from ATAK, WinTAK
// and iTAK over TCP (XML, or protobuf after negotiation) and UDP (XML or
// mesh protobuf), turns it into borderwatch.Observation values, and sends
// each connected client the picture (friendly units, tracks, alerts)
// through bounded per-client queues that coalesce by uid.
//
// Everything here decodes untrusted bytes: the decoders never panic on
// input, cap message sizes, and report malformed input by reason instead
// of logging it.
package cot
