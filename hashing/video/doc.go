// Package video fingerprints videos and animations and decides, in time,
// whether a query video shows a registered one.
//
// # Model
//
// A video's fingerprint (a hashing.Fingerprint of Kind video) is its
// sampled frames: about one frame per second of a crawled video and two
// per second of a registered one (QueryInterval, RegistrationInterval), plus
// scene changes, each with its time and the PDQ hash and quality of the
// frame with the borders the whole video shares trimmed (letterbox and
// pillarbox bars, found on the mean frame, still over the video and in
// centred pairs: see videoBorders). A query frame also carries the PDQ of
// its mirror image and a registered frame those of its middle 95% to 70%
// in steps of 2.5% a side (cropEach), so mirrored and cropped re-uploads
// match; both carry the PDQ of their middle 60%, compared with its like
// only, against watermarks and captions along the edges, and of their
// strips and band (strips.go: boxes of a fixed shape at the sides, the
// centre and across the middle, for copies that kept the full height or
// the full width), each compared with its like only. A query whose
// frames sit in soft bars (a blurred, enlarged copy of the video filling
// a canvas of another shape, see softBorders) or show another video in a
// picture in a picture also carries the PDQ of each frame's inset.
// Consecutive near-identical frames are dropped (a still scene keeps a
// frame every 5 s); frames of low PDQ quality (dark, flat, faded) are
// kept but never decide a match.
//
// Frames come from ffmpeg (Debian's ffmpeg package), which decodes,
// selects frames (select filter: the interval or a scene change), scales
// them to 128×128 grey inside ffmpeg and writes raw pixels to a pipe, with
// -fps_mode passthrough so no frame is invented; frame times come from its
// showinfo log. Crawled videos are decoded from keyframes alone when those
// are at most KeyframeGap apart (DecodeAuto); when they lie farther apart,
// ffmpeg seeks to each keyframe and decodes only a stretch after it: at
// most SegmentSpan and 40% of the group of pictures, or the keyframe alone
// where the next lies KeyframeGap away or nearer (concat demuxer with in
// and out points; keyframe times from the MP4 index, or from a keyframe
// pass), skipping B-frames and deblocking: a 60-s 720p H.264 video with
// x264's default keyframe spacing costs about a fifth to a quarter of a
// full decode, with keyframes every 5 s under a third, and with keyframes
// every 3 to 4.5 s, sampled from the keyframes alone, about a tenth. Animated
// GIFs are decoded natively (image/gif, per-frame delays
// and disposal), without ffmpeg. Animated WebPs, which the ffmpeg of
// Debian 12 (5.1) cannot decode, go through libwebp's animation decoder
// compiled to WebAssembly (github.com/gen2brain/webp), after their canvas
// and frame count are checked against MaxPixels and MaxWebPPixels from the
// RIFF chunks.
//
// Matching is vPDQ's idea made temporal (align.go): frames match frames
// within Matching.MaxDistance, and a query matches a registered video when
// the matches line up on one line registered = rate × query + offset, with
// the rate within ±10%, covering enough frames and a large enough share of
// either video. Both shares and the matched time ranges are reported, so
// a short clip of a long video (high query share) and a compilation
// containing a registered clip (high registered share) both match, while
// videos made of the same pictures in another order or rhythm do not.
// Align and Compare are pure functions; package index finds the candidate
// videos with its Hamming index and applies them.
//
// # Guarantees
//
//   - Nothing is kept. Video bytes are held by the caller for the duration
//     of a call; ffmpeg reads them from a sealed in-memory file (Linux's
//     memfd_create, inherited as /proc/self/fd/3), which has no name in any
//     file system and goes with the last descriptor, even after kill -9.
//     Where memfd is unavailable (InMemory), ffmpeg reads a pipe, or, for
//     an MP4 whose index follows its media, a temporary file removed before
//     Fingerprint returns; New removes such copies a killed process left.
//     A fingerprint holds hashes and times, never pixels.
//   - Limits first (Limits, each with a default and a test crossing it):
//     bytes before anything runs; duration (ffmpeg is told to stop reading
//     there, and a longer declared or decoded timeline fails with
//     ErrTooLong); sampled frames (ErrTooManyFrames); frame size (declared
//     size checked, ffmpeg's -max_pixels as backstop; hashing.ErrTooLarge);
//     wall time (ErrTimeout); for GIFs the sum of frame areas, counted from
//     the block structure before decoding.
//   - No stray processes. Every ffmpeg runs in its own process group under
//     the call's context (exec.CommandContext, WaitDelay): when the context
//     ends or a limit is crossed the group is killed and reaped, so a
//     cancelled crawl leaves no ffmpeg or zombie behind.
//   - Hostile input stays contained. The demuxer is chosen from the magic
//     bytes (Sniff) and passed explicitly, and only the file and pipe
//     protocols are allowed, so a playlist or concat file cannot make
//     ffmpeg open other files or URLs. Bad bytes fail with
//     hashing.ErrCorrupt or hashing.ErrUnsupported.
//   - Without ffmpeg, videos fail with ErrNoFFmpeg (Hasher.FFmpeg reports
//     it at start-up); pictures and animated GIFs still work.
//
// This package knows nothing of crawling, storage or HTTP.
package video
