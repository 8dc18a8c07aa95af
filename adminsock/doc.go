// Package adminsock lets the command line work beside the process that
// holds the database. bbolt locks the file for as long as a process (serve,
// a crawl) has it open read-write, so a second hashwatch cannot open it;
// instead that holder listens on a Unix-domain socket beside the file
// (PATH.sock for database PATH) and runs the command there, in its own
// process, against the database it already has open.
//
// # Model
//
// A client sends one request: its command line, its working directory, a
// few environment variables the caller names, the database it means, and
// its own standard input, output and error as file descriptors
// (SCM_RIGHTS). The holder runs the command with those descriptors as its
// stdin, stdout and stderr — so the command writes to the client's terminal
// or pipe directly, prompts on its terminal, reads its stdin — and answers
// with the exit status, which the client exits with. When the client stops
// early (Ctrl-C) it half-closes the connection and the command's context is
// cancelled; it still waits for the exit status, as a local run would.
// What a command does, prints and returns is the caller's business: the
// package only carries the request and the status.
//
// # Guarantees
//
//   - Local and owner-only. The socket is created inside a fresh private
//     folder (0700), given mode 0600 and only then renamed to PATH.sock, so
//     it is never reachable with wider permissions; every connection's peer
//     credentials (SO_PEERCRED) must name the holder's own user ID, or it is
//     refused. Nothing listens on the network.
//   - One owner. Only the process holding bbolt's exclusive lock creates the
//     socket, so whatever is at PATH.sock when it starts (left by a holder
//     that was killed) is stale and is replaced atomically; on the way out
//     the holder removes the socket only if it is still the one it made.
//   - Bounded. A request is at most MaxRequestBytes and must arrive within
//     RequestTimeout; at most MaxConcurrent commands run at once (more wait
//     to be read); a command still running when the holder stops gets a
//     grace period, then its context is cancelled, and a few seconds later
//     the holder stops waiting for it.
//   - Contained. A command that panics fails with exit status 1 and a
//     message on the client's stderr; the holder carries on.
//
// # Limits
//
// Linux only (SO_PEERCRED); elsewhere Listen returns ErrUnsupported and
// Forward ErrNoServer, and the command line falls back to opening the file.
// A socket path must fit in sockaddr_un (107 bytes); a longer database path
// gets a clear error from Listen. Files a forwarded command names are read
// by the holder on the same machine, so the client and the holder must see
// the same filesystem, which a Unix socket guarantees.
package adminsock
