// Package natswork carries crawl jobs and their results between one
// coordinator (hashwatch serve, the only process that opens the database)
// and crawl workers on any machine, over NATS JetStream.
//
// # Model
//
// The coordinator's passes (package crawler) pop items from the bbolt
// frontier, which stays the durable source of truth, and hand each Job to
// Coordinator.Dispatch. Dispatch publishes it to the work-queue stream
// HW_WORK (subjects hw.work.<kind>) and waits for its result. Workers pull
// from the stream's one shared durable consumer (explicit acks, AckWait,
// MaxDeliver bounded), process the job (crawler/work.Worker: robots.txt, fetch,
// discovery, fingerprint — matching is asked of the coordinator over
// request/reply, hw.central.*), hand the Result to the coordinator and
// only then ack the job: a worker of protocol 3 (wire.go) sends it as a
// request (hw.central.result) that the coordinator answers once it has
// handed the result to the Dispatch waiting for it (the pass then commits
// it in bbolt through its group commit); older workers publish it to the
// stream HW_RESULTS and wait for the stream's PubAck, and the coordinator
// consumes it from there, hands it over and acks it. A worker of protocol
// 5 sends its results several to a request (batch.go) and acks each job
// once the request carrying its result is answered. A worker takes the
// jobs for all its free slots in one pull request.
//
// # Guarantees
//
//   - A worker killed at any moment loses nothing: its unacked job is
//     redelivered after AckWait — with batched results, every job of a
//     batch it had not acked yet, whether or not the coordinator had the
//     batch (TestAWorkerKilledMidBatchLosesNothing).
//   - Duplicates are harmless: every dispatch has its own key, and a
//     result whose dispatch already has one (a worker killed between
//     publishing and acking, whose job was redelivered) is acked and
//     dropped, so it commits nothing twice — no second alert, no second
//     frontier item.
//   - Poison items end: a job delivered more than ParkAfter times without
//     a result (it kills or stalls every worker) is answered "parked" by
//     the next worker instead of being processed, and the pass records it
//     with its URL in the site's status (sites); the stream's MaxDeliver
//     advisory parks it too, should even that delivery be lost.
//   - A result is acked (answered, from a protocol 3 worker) when it is
//     handed to its dispatch, before the pass commits it, and that loses
//     nothing: neither HW_RESULTS nor the reply is where an item's
//     durability lives. An item stays in the bbolt frontier until the
//     transaction that stores its outcome marks it done, and a starting
//     coordinator purges HW_RESULTS (see below), so an ack after the
//     commit would keep nothing a restart could use. A coordinator that
//     dies between hand-over and commit leaves the item queued in bbolt,
//     and the next one dispatches it again
//     (TestACoordinatorKilledBetweenHandOverAndCommitLosesNothing).
//   - A coordinator restart (kill -9 included) loses nothing: the frontier
//     in bbolt still holds every undone item. On start the coordinator
//     purges both streams (their jobs belong to the dead process's
//     dispatches, and every one of them is still queued in bbolt) and
//     resumes its passes; workers reconnect and wait meanwhile. An ask for
//     a lease of a host's slots that the dead coordinator had taken is
//     never answered by it, so a worker asks again when an attempt goes
//     unanswered, and the next coordinator answers (gate.go,
//     TestAnAskOutlivesACoordinatorRestart).
//   - The visited bucket (HW_VISITED, visited.go) is a cache, never the
//     truth: invariant, a stale, partial or lost bucket costs at worst
//     some extra coordinator work (links sent back that the frontier
//     drops) — never a skipped page. A page's mark (site, pass) is written
//     only after the bbolt transaction marking it done has committed; a
//     starting coordinator deletes the bucket and each resumed pass
//     rebuilds its marks from bbolt; a worker drops its copy when the
//     coordinator's epoch changes and only leaves out links whose mark
//     names the job's own pass; the page's record keeps every link
//     (TestTheVisitedBucketIsOnlyACache deletes the bucket mid-pass and
//     starts on a wrong one).
//   - Least privilege: the embedded server's worker identity (worker.creds)
//     may only pull and ack jobs, publish results, ask the coordinator
//     Central questions and watch the visited bucket; cases, alerts and
//     accounts never travel over NATS.
//
// # In one process
//
// StartEmbedded runs the NATS server with JetStream that serve embeds
// (writing the workers' credentials when missing); StartCluster wires a
// Coordinator on it, or on an outside cluster, to the crawler, with any
// in-process workers and the queue's metrics, and Cluster.Close stops them
// in order. hashwatch serve only chooses flags, port and names.
package natswork
