package store

// The buckets of the file, each kept by one room; Open creates any that are
// missing (a bucket a build adds needs no migration). Each room names its
// own buckets; this list is the one place that shows the whole file.
var layout = []string{
	"meta",  // store: the schema version; alerts: the alert index version
	"audit", // store: the append-only audit log, big-endian sequence → AuditEntry
	// store: editable settings by key (notice templates, site contacts,
	// paused sites), see settings.go.
	"settings",

	"centres", // centres: centre ID → centre

	"cases",        // index: centre ID "/" case ID → case
	"fingerprints", // index: big-endian ID → fingerprint, frames packed
	// index: big-endian sequence → fingerprint IDs added or removed, for
	// partners' feed (no hashes: a withdrawn one is not kept)
	"fingerprintchanges",
	// index: big-endian fingerprint ID → a registered picture's corner set
	// for the geometric verifier (version byte, then features.Set's binary
	// form), read only for the matches the verifier checks
	"fingerprintfeatures",

	"alerts",    // alerts: big-endian ID → alert
	"alertkeys", // alerts: SHA-256 ‖ big-endian fingerprint ID → alert ID
	// alerts: the alert queue's secondary indexes and counts
	"alertsbystatus", "alertsbysite", "alertsbycase", "alertsbycentre", "alertsbyconfidence", "alertcounts", "alerthours",
	// alerts: a fingerprint's alerts by status, for the flood quarantine
	"alertsbyfingerprint",
	// alerts: the dashboard's figures, kept with every alert write
	"alertcreated", "alertremovals", "alertremovalbins", "alertnoticesent",
	"previews", // alerts: media SHA-256 → blurred JPEG
	"reports",  // alerts: reported URLs
	// alerts: the flood quarantine (quarantine.go) and the negative bank
	// (negative.go)
	"floodmedia", "quarantine", "negative", "negativesha", "negativepdq",
	"alertclaims", // alerts: big-endian alert ID → who is working it, until when
	"alertundo",   // alerts: big-endian alert ID → its last decision, for an undo

	"users", "sessions", "tokens", // accounts: by name or token hash
	"lookupcounts", // accounts: partner "/" day → lookup counts (never hashes)

	"notices", // takedown: sent and drafted takedown notices

	"sites", // crawlstate: site name → crawl status
	"crawl", // crawlstate: frontier, validators, per-SHA-256 match results
}

// bucketMeta holds the schema version.
var (
	bucketMeta       = []byte("meta")
	bucketAudit      = []byte("audit")
	bucketSettings   = []byte("settings")
	keySchemaVersion = []byte("schema_version")
)
