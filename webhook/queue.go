package webhook

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Defaults of Config.
const (
	DefaultMaxQueue    = 10000
	DefaultMaxAttempts = 20
	DefaultBackoff     = 5 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultTimeout     = 10 * time.Second
	// maxResponse bounds what is read of a receiver's answer.
	maxResponse = 64 << 10
	// minSecret is the shortest secret accepted, in bytes.
	minSecret = 16
)

// ErrQueueFull reports an event dropped because the queue holds
// Config.MaxQueue events already.
var ErrQueueFull = errors.New("webhook queue full")

// Config is one deployment's webhook.
type Config struct {
	// URL receives every event (http or https).
	URL string
	// Secret signs the events; at least 16 bytes.
	Secret []byte
	// Client sends them; nil means a client with Timeout.
	Client *http.Client
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxQueue bounds the events held; zero means DefaultMaxQueue.
	MaxQueue int
	// MaxAttempts is how often an event is tried before it is dropped;
	// zero means DefaultMaxAttempts (about a day with the default backoff).
	MaxAttempts int
	// Backoff is the wait before the first retry, doubling up to
	// MaxBackoff; zero means the defaults.
	Backoff, MaxBackoff time.Duration
	Logger              *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() (Config, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("webhook URL %q: want an http(s) URL", c.URL)
	}
	if len(c.Secret) < minSecret {
		return c, fmt.Errorf("webhook secret of %d bytes: want at least %d", len(c.Secret), minSecret)
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout}
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

var (
	bucketEvents = []byte("events")
	bucketState  = []byte("state")
	keyDropped   = []byte("dropped")
)

// queued is an event as the queue holds it.
type queued struct {
	Event     Event     `json:"event"`
	Attempts  int       `json:"attempts,omitempty"`
	NextAt    time.Time `json:"next_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// Queue is the durable queue of events and their delivery. Create it with
// Open; Run delivers.
type Queue struct {
	cfg  Config
	db   *bolt.DB
	wake chan struct{}
}

// Open opens (creating) the queue file at path.
func Open(path string, cfg Config) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("webhook queue %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEvents, bucketState} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("webhook queue %s: %w", path, err)
	}
	return &Queue{cfg: cfg, db: db, wake: make(chan struct{}, 1)}, nil
}

// Close closes the queue file; undelivered events stay in it.
func (q *Queue) Close() error { return q.db.Close() }

// Enqueue queues events for delivery in one transaction; ID and At are
// set here. Events beyond MaxQueue are dropped and counted: the error
// wraps ErrQueueFull.
func (q *Queue) Enqueue(evs ...Event) error {
	err := q.db.Update(func(tx *bolt.Tx) error { return q.enqueueIn(tx, evs) })
	q.signal()
	return err
}

func (q *Queue) enqueueIn(tx *bolt.Tx, evs []Event) error {
	b := tx.Bucket(bucketEvents)
	n := b.Stats().KeyN
	dropped := 0
	for _, ev := range evs {
		if n >= q.cfg.MaxQueue {
			dropped++
			continue
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		ev.ID = id
		if ev.At.IsZero() {
			ev.At = q.cfg.Now().UTC()
		}
		v, err := json.Marshal(queued{Event: ev})
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, id), v); err != nil {
			return err
		}
		n++
	}
	if dropped == 0 {
		return nil
	}
	st := tx.Bucket(bucketState)
	total := uint64(dropped)
	if v := st.Get(keyDropped); len(v) == 8 {
		total += binary.BigEndian.Uint64(v)
	}
	if err := st.Put(keyDropped, binary.BigEndian.AppendUint64(nil, total)); err != nil {
		return err
	}
	q.cfg.Logger.Warn("webhook queue full: events dropped", "dropped", dropped, "dropped_total", total, "max", q.cfg.MaxQueue)
	return nil
}

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Pending returns the events not yet delivered, oldest first.
func (q *Queue) Pending() ([]Event, error) {
	var out []Event
	err := q.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(_, v []byte) error {
			var r queued
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r.Event)
			return nil
		})
	})
	return out, err
}

// Dropped is how many events were dropped because the queue was full or
// their attempts ran out.
func (q *Queue) Dropped() (uint64, error) {
	var n uint64
	err := q.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketState).Get(keyDropped); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return n, err
}

// next returns the oldest event due now, or how long until one is due
// (zero when the queue is empty).
func (q *Queue) next(now time.Time) (k []byte, r queued, wait time.Duration, ok bool, err error) {
	err = q.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(key, v []byte) error {
			if ok {
				return nil
			}
			var cur queued
			if err := json.Unmarshal(v, &cur); err != nil {
				return fmt.Errorf("webhook event %x: %w", key, err)
			}
			if !cur.NextAt.After(now) {
				k, r, ok = append([]byte(nil), key...), cur, true
				return nil
			}
			if d := cur.NextAt.Sub(now); wait == 0 || d < wait {
				wait = d
			}
			return nil
		})
	})
	return k, r, wait, ok, err
}

// Run delivers queued events until ctx is done, oldest due first, one at a
// time. When ctx ends during an attempt, Run returns after it (at most
// Config.Timeout later).
func (q *Queue) Run(ctx context.Context) error {
	for {
		now := q.cfg.Now()
		k, r, wait, ok, err := q.next(now)
		if err != nil {
			return err
		}
		if !ok {
			if wait <= 0 {
				wait = time.Minute
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-q.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		// An attempt under way finishes (within Timeout) even when ctx
		// ends, and is settled: stopping between the receiver's 2xx and
		// the deletion would send the event again after a restart.
		derr := q.deliver(context.WithoutCancel(ctx), r.Event)
		if err := q.settle(k, r, derr); err != nil {
			return err
		}
	}
}

// settle deletes a delivered event, or schedules the next attempt of a
// failed one, dropping it after MaxAttempts.
func (q *Queue) settle(k []byte, r queued, derr error) error {
	return q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if derr == nil {
			return b.Delete(k)
		}
		r.Attempts++
		r.LastError = derr.Error()
		log := q.cfg.Logger.With("event", r.Event.ID, "type", r.Event.Type, "attempts", r.Attempts, "err", derr)
		if r.Attempts >= q.cfg.MaxAttempts {
			log.Error("webhook event dropped after its last attempt")
			st := tx.Bucket(bucketState)
			total := uint64(1)
			if v := st.Get(keyDropped); len(v) == 8 {
				total += binary.BigEndian.Uint64(v)
			}
			if err := st.Put(keyDropped, binary.BigEndian.AppendUint64(nil, total)); err != nil {
				return err
			}
			return b.Delete(k)
		}
		delay := q.cfg.Backoff << min(r.Attempts-1, 30)
		if delay <= 0 || delay > q.cfg.MaxBackoff {
			delay = q.cfg.MaxBackoff
		}
		r.NextAt = q.cfg.Now().Add(delay)
		log.Warn("webhook delivery failed; will retry", "retry_in", delay)
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(k, v)
	})
}
