// Package admission bounds the concurrent HTTP handlers of a server that
// shares the machine with more important work, and their share of the
// process's CPU time.
//
// The console shares the machine with the crawl, whose hashing is what
// the service is for: 16 API clients once took 88% of the crawl's images
// per second. Go cannot lower a goroutine's priority, so the console
// bounds itself instead, with a Gate:
//
//   - at most Config.Light light requests (one alert, one decision)
//     and Config.Heavy heavy requests (bulk reads or writes: the
//     dashboard, list queries, exports, uploads, verification) run at
//     once: console work never holds more than that many cores, and a
//     burst of heavy requests cannot shut out a single alert's page;
//   - while Config.Metered reports true (the crawl runs), handlers
//     together take at most Config.Share of the CPU time the process
//     gets: each handler's CPU time (handlerCPU: its thread's, so that
//     waiting for a core on a busy machine or for the network is not
//     billed) is owed, and paid back by Share of the process's CPU time
//     as it is used (processCPU), but at least a floor of a tenth of that
//     share of the cores, so the console never stops; a request waits
//     while more than a burst is owed. Measured against what the process
//     gets rather than against GOMAXPROCS, the share holds on a machine
//     shared with other work (the floor is a least rate, never added to
//     the share: added, it took 30% of a process that got 0.4 of its 2
//     cores), and even slots kept busy by many clients leave the crawl
//     its part. One request is charged at most maxCharge, so a long
//     backup or verify is bounded by its slot, not billed to everyone
//     after it. The time owed is waited for outside the slots, so a slot
//     is held only by a request that runs. Billed requests (an answer
//     the server kept) never wait, and HeavyNow requests (recomputing
//     it) wait for a heavy slot only, but both are charged all the same. What the runtime does for handlers
//     outside them (the HTTP connection, authentication, garbage
//     collection of their allocations) is not metered;
//   - a request that cannot start within Config.QueueWait, or finds
//     Config.QueueLength requests already waiting, is refused with a
//     *Busy saying when to retry rather than queued without bound.
//
// The package decides nothing about which request is light or heavy: the
// caller's route table does, and passes the Load to Gate.Enter. It
// imports only the standard library and holds no global mutable state.
package admission
