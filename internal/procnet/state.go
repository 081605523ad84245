package procnet

import "fmt"

// State is the "st" column of a table: a TCP state from
// include/net/tcp_states.h. For udp, StateEstablished means connected and
// StateClose unconnected.
type State uint8

// The TCP states, numbered as the kernel numbers them.
const (
	StateEstablished State = 0x01
	StateSynSent     State = 0x02
	StateSynRecv     State = 0x03
	StateFinWait1    State = 0x04
	StateFinWait2    State = 0x05
	StateTimeWait    State = 0x06
	StateClose       State = 0x07
	StateCloseWait   State = 0x08
	StateLastAck     State = 0x09
	StateListen      State = 0x0A
	StateClosing     State = 0x0B
)

// String returns the TCP name of the state, as ss and netstat print it
// ("LISTEN", "TIME_WAIT"), or "0x" and two hex digits for a number the
// kernel does not define.
func (s State) String() string {
	switch s {
	case StateEstablished:
		return "ESTABLISHED"
	case StateSynSent:
		return "SYN_SENT"
	case StateSynRecv:
		return "SYN_RECV"
	case StateFinWait1:
		return "FIN_WAIT1"
	case StateFinWait2:
		return "FIN_WAIT2"
	case StateTimeWait:
		return "TIME_WAIT"
	case StateClose:
		return "CLOSE"
	case StateCloseWait:
		return "CLOSE_WAIT"
	case StateLastAck:
		return "LAST_ACK"
	case StateListen:
		return "LISTEN"
	case StateClosing:
		return "CLOSING"
	}
	return fmt.Sprintf("0x%02X", uint8(s))
}
