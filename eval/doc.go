// Package eval measures detection quality: it registers half of a folder of
// photos, applies a fixed suite of the edits re-uploaders make to every
// photo of both halves, matches everything through the production path
// (hashing.Hasher, database.DB, hashing.Rule) and reports recall per edit on the
// registered half, false alerts on the unregistered half and its edits, and
// the distances of true and false pairs.
//
// Detection is measured, never assumed. The split is deterministic
// (alternate files by sorted name) and can be swapped, so thresholds tuned on
// one half can be checked on the other. The edits are made in Go by package
// fixtures and are deterministic, so a run is reproducible bit for bit.
// The suite's last group, the unseen edits (UnseenGroup), has no target: it
// measures how recall generalises to edits the views were not designed
// around, and is never tuned on edit by edit.
//
// RunPool measures false alerts at scale instead: it registers thousands of
// unrelated images of a pool (scripts/build-pool.sh) and queries thousands
// of others, and reports the false-alert rate per comparison with an exact
// 95% upper bound, per rule clause and per family pair, the busiest
// fingerprints, and how near the closest unrelated pairs come to each
// clause. It checks the index's answer against an exhaustive comparison of
// every view pair, and tells slipped duplicates (thumbnails that correlate)
// from false alerts. Fingerprints can be cached by file checksum and hasher
// version; thumbnails live in memory only.
//
// Rule builds a rule under design (clauses, ratio, background replaced),
// and MeasureHashSpeed times crawl-time fingerprinting and the lookup
// against image.Decode plus goimagehash's pHash, in CPU time (`hashwatch
// bench hash`).
//
// Nothing here is used by the crawler; it is a tool for developers and for
// deciding defaults.
package eval
