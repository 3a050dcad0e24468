package cot

import "errors"

// Reason is why input was dropped. It is the error the decoders and the
// splitter return and the label value of the dropped-input counter, so
// logs, metrics and tests read the same word. Returning a Reason never
// allocates.
type Reason string

// Reasons for dropping input.
const (
	ReasonSyntax       Reason = "xml_syntax"        // not well-formed where we look
	ReasonNoEvent      Reason = "xml_no_event"      // the root element is not <event>
	ReasonNoPoint      Reason = "xml_no_point"      // <event> without <point>
	ReasonEntity       Reason = "xml_entity"        // an unknown or malformed &entity;
	ReasonDoctype      Reason = "xml_doctype"       // a DOCTYPE (refused: entity expansion)
	ReasonTooDeep      Reason = "xml_too_deep"      // nesting beyond 64 levels in <detail>
	ReasonTrailing     Reason = "xml_trailing"      // bytes after </event>
	ReasonBadTime      Reason = "bad_time"          // time/start/stale not xs:dateTime
	ReasonBadNumber    Reason = "bad_number"        // a number that does not parse
	ReasonBadChar      Reason = "bad_char"          // a string XML 1.0 cannot carry (control byte, bad UTF-8)
	ReasonMissingField Reason = "missing_field"     // uid or type empty
	ReasonBadPoint     Reason = "bad_point"         // lat/lon out of range or NaN
	ReasonProto        Reason = "proto_malformed"   // protobuf wire format error
	ReasonProtoNoEvent Reason = "proto_no_event"    // TakMessage without a CotEvent
	ReasonBadMagic     Reason = "bad_magic"         // a datagram or frame with a bad header
	ReasonTooLarge     Reason = "too_large"         // a message over the size limit
	ReasonJunk         Reason = "junk"              // bytes between messages that start none
	ReasonStale        Reason = "stale"             // stale already passed on arrival
	ReasonRate         Reason = "rate_limited"      // over the per-source rate (UDP)
	ReasonConnLimit    Reason = "conn_limit"        // connection refused: too many
	ReasonSlow         Reason = "slow_sender"       // a message not completed in time
	ReasonIdle         Reason = "idle"              // nothing received within the idle timeout
	ReasonHandler      Reason = "handler_error"     // the handler failed: not logged
	ReasonUnsupported  Reason = "unsupported_type"  // a type that maps to no observation
	ReasonPanic        Reason = "internal_panic"    // a bug: the connection was closed
	ReasonQueueFull    Reason = "client_queue_full" // out: oldest pending item dropped
	ReasonWriteTimeout Reason = "write_timeout"     // out: a client that stopped reading
)

func (r Reason) Error() string { return "cot: " + string(r) }

// ReasonOf returns the Reason in err's chain, or "" when there is none.
func ReasonOf(err error) Reason {
	var r Reason
	if errors.As(err, &r) {
		return r
	}
	return ""
}
