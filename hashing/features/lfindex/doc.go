// Package lfindex finds registered pictures by their local features: an
// in-memory index over the corner descriptors of registered pictures
// (package hashing/features) that, for a query picture's corner set,
// names the few registered pictures sharing the most descriptors and
// keeps those the geometric verifier confirms.
//
// # Why
//
// Whole-picture hashes (PDQ, pHash, dHash over the registered crop views)
// find a copy only when some registered view frames the same part of the
// picture as the copy does. Crops off that grid (a 25% corner, a quarter
// off one side, unequal sides, a mirror then a crop, a turn with its edges
// cut away) move every pixel of the hashed thumbnail and fall out of
// reach. Corners survive such edits: each keeps its descriptor, and one
// transform carries the copy's corners onto the original's. This index is
// a candidate generator for those copies, beside the hash rule, not in
// place of it: the hash rule stays the first and cheapest test.
//
// # Model
//
// Each 256-bit descriptor is cut into Substrings substrings of 16 bits
// (multi-index hashing, Norouzi et al. 2012): a registered point is filed
// under each substring's value in that substring's table. A query point
// looks up its own substrings' buckets and every registered point found
// there whose full descriptor lies within MaxHamming casts one vote for
// its picture (at most one vote per query point and picture). Two
// descriptors within Hamming distance r < Substrings share some substring
// exactly (pigeonhole), so near neighbours are always found; farther ones
// (a corner seen after a crop and re-encode is often 30–50 bits away) are
// found with a probability that falls with distance, which is enough for
// voting: a copy shares dozens of corners with its original.
//
// Buckets holding more than MaxBucket points are passed over at query
// time: a substring common to thousands of corners (flat patterns, the
// all-zero substring) says nothing about which picture a corner is from
// and would dominate the cost.
//
// The Candidates pictures with the most votes (at least MinVotes) are
// verified by features.Agreement (RANSAC inliers of one affine
// transform); the query's mirror image (Set.Mirror) is looked up and
// verified the same way, so a registered picture needs one set for both.
// A picture is returned when its best agreement has at least MinInliers
// inliers.
//
// # Guarantees and limits
//
//   - Nothing is kept but derived data: corner positions, orientations and
//     descriptors of registered pictures, never pixels.
//   - Bounded memory. A registered picture holds at most MaxPoints points
//     (points beyond are dropped when added); each costs its Point (48
//     bytes) plus Substrings posting entries of 4 bytes (64 bytes), about
//     112 bytes, so at most MaxPoints·112 ≈ 10.8 KB per picture with the
//     default 96 points (amortised slice growth aside), plus fixed
//     tables of Substrings·65,536 slice headers (25 MB) allocated on the
//     first Add. Measured: 50 MB for 3,000 pool pictures (85 corners
//     each on average), 18.3 KB per picture for 20,000 pictures of 96
//     random corners, tables included (BenchmarkBuild). A query keeps
//     two counters per registered picture (8 bytes each), pooled between
//     queries. At most MaxPictures pictures (ErrFull beyond).
//   - Scale. The 16-bit buckets fill with the index: at a million
//     pictures they hold ~1,500 corners each on average and every query
//     reads ~3,000 of them per corner; this prototype is for measuring,
//     and needs longer substrings with probing (or a prefilter) before a
//     national index.
//   - Bounded work per query: at most MaxPoints query points (the rest
//     ignored), Substrings lookups each, buckets of at most MaxBucket
//     points, and at most 2·Candidates verifications.
//   - Deterministic: the same index and query give the same answer
//     (votes are ranked with ties broken by registration order, and the
//     verifier's RANSAC runs on a fixed seed).
//   - Removal is immediate for answers (a removed picture is never
//     returned) but its points stay in the tables until the index is
//     rebuilt; Len counts only live pictures.
//   - Empty sets are never an error: a picture without corners is added
//     with no points and is never found; an empty query finds nothing.
//   - Safe for concurrent use: queries share a read lock, Add and Remove
//     take the write lock.
package lfindex
