package work

import (
	"context"
	"errors"
	"net"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// ErrorKind names the kind of an error as the per-site error counts do
// ("corrupt", "unsupported", "too_large", "timeout", ...), for workers
// that send errors over the wire.
func ErrorKind(err error) string { return classify(err) }

// classify names the kind of an error for per-site error counts.
func classify(err error) string {
	var netErr net.Error
	var re ResultError
	var rp *ResultError
	switch {
	case errors.As(err, &re):
		return re.Kind
	case errors.As(err, &rp):
		return rp.Kind
	case errors.Is(err, ErrPrivateAddress):
		return "private_address"
	case errors.Is(err, ErrCentralUnavailable):
		return "unavailable"
	case errors.Is(err, hashing.ErrTooLarge),
		errors.Is(err, video.ErrTooLong), errors.Is(err, video.ErrTooManyFrames), errors.Is(err, video.ErrTimeout):
		return "too_large"
	case errors.Is(err, hashing.ErrUnsupported):
		return "unsupported"
	case errors.Is(err, hashing.ErrCorrupt):
		return "corrupt"
	case errors.Is(err, ErrHTTPStatus):
		return "http_status"
	case errors.Is(err, errTooManyRedirects):
		return "redirects"
	case errors.Is(err, ErrOutOfScope):
		return "out_of_scope"
	case errors.Is(err, ErrVideo):
		return "video"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "fetch"
}
