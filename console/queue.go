package console

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
)

// queueQuery is the alert queue's filter, sort and page, read from a URL
// query; alerts.Store.QueryAlerts does the filtering, counting, ordering and
// paging from its secondary indexes.
type queueQuery struct {
	Status alerts.Status
	Site   string
	// Centre is the centre whose alerts the queue shows: the viewer's own,
	// or for a national viewer every centre's ("") or the one asked for.
	Centre string
	Case   string
	From   string // YYYY-MM-DD in the viewer's zone, inclusive
	To     string // YYYY-MM-DD, inclusive
	// Sort is "oldest" (the page's default: the longest-waiting first),
	// "newest" (the API's default) or "confidence" (lowest distance first).
	Sort    string
	Page    int // from 1
	PerPage int

	from, to time.Time
}

// maxPerPage bounds a page of the queue.
const maxPerPage = 200

// queueFilters are the query parameters that select and order the queue
// (page and per_page aside): what the review mode carries from alert to
// alert.
var queueFilters = []string{"status", "site", "centre", "case", "from", "to", "sort"}

// parseQueue reads a queue query; bad values are errors for the user. An
// operator's page opened with no filter at all shows the open work, oldest
// first (page true): the alert waiting longest is the re-upload that has
// been up longest. The API keeps its documented default, every status,
// newest first.
func parseQueue(q url.Values, zone *time.Location, page bool) (queueQuery, error) {
	qq := queueQuery{Status: alerts.Status(q.Get("status")), Site: q.Get("site"), Case: q.Get("case"),
		From: q.Get("from"), To: q.Get("to"), Sort: q.Get("sort"), Page: 1, PerPage: 50}
	if page && !slices.ContainsFunc(queueFilters, q.Has) {
		qq.Status, qq.Sort = alerts.StatusNew, "oldest"
	}
	if qq.Status != "" && !qq.Status.Valid() {
		return qq, refuse(400, "err.bad_choice", "status", truncate(string(qq.Status), 40), statusChoices())
	}
	switch qq.Sort {
	case "":
		qq.Sort = "newest"
		if page {
			qq.Sort = "oldest"
		}
	case "newest", "oldest", "confidence":
	default:
		return qq, refuse(400, "err.bad_choice", "sort", truncate(qq.Sort, 40), "oldest, newest, confidence")
	}
	for _, d := range []struct {
		s   string
		t   *time.Time
		add int
	}{{qq.From, &qq.from, 0}, {qq.To, &qq.to, 1}} {
		if d.s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.s, zone)
		if err != nil {
			return qq, refuse(400, "err.bad_date", "date", truncate(d.s, 40))
		}
		*d.t = t.AddDate(0, 0, d.add)
	}
	for _, n := range []struct {
		name string
		v    *int
		max  int
	}{{"page", &qq.Page, 1 << 30}, {"per_page", &qq.PerPage, maxPerPage}} {
		if s := q.Get(n.name); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > n.max {
				return qq, refuse(400, "err.bad_number", n.name, truncate(s, 40), 1, n.max)
			}
			*n.v = v
		}
	}
	return qq, nil
}

// queueResult is one page of the queue with the counts per status of the
// whole selection (before the status filter).
type queueResult struct {
	Alerts []alerts.Alert
	Counts map[alerts.Status]int
	Total  int // alerts matching every filter
	Pages  int
}

// run selects, counts, sorts and pages through the index's alert queries,
// which read only the selected statuses' keys and decode only the page.
func (qq queueQuery) run(ctx context.Context, db *database.DB) (queueResult, error) {
	page, err := db.Alerts.QueryAlerts(ctx, qq.query())
	if err != nil {
		return queueResult{}, err
	}
	return queueResult{Alerts: page.Alerts, Counts: page.Counts, Total: page.Total,
		Pages: max(1, (page.Total+qq.PerPage-1)/qq.PerPage)}, nil
}

// query is the store's query for the page.
func (qq queueQuery) query() alerts.AlertQuery {
	// A case is named within a centre: a national viewer's case filter
	// without a centre means a national case.
	q := alerts.AlertQuery{Status: qq.Status, Site: qq.Site, Centre: qq.Centre, Case: qq.Case, From: qq.from, To: qq.to,
		Offset: (qq.Page - 1) * qq.PerPage, Limit: qq.PerPage}
	switch qq.Sort {
	case "confidence":
		q.Sort = alerts.SortConfidence
	case "oldest":
		q.Sort = alerts.SortOldest
	}
	return q
}

// filters is the queue's selection and order as URL values.
func (qq queueQuery) filters() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": string(qq.Status), "site": qq.Site, "centre": qq.Centre, "case": qq.Case, "from": qq.From, "to": qq.To, "sort": qq.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Review is the review-mode URL of alert id within this queue: the alert
// page with the queue's filters, so next and previous stay in it.
func (qq queueQuery) Review(id uint64) string {
	v := qq.filters()
	v.Set("review", "1")
	return "/alerts/" + strconv.FormatUint(id, 10) + "?" + v.Encode()
}

// link is the queue URL with page set to p (other filters kept).
func (qq queueQuery) Link(p int) string {
	v := qq.filters()
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if qq.PerPage != 50 {
		v.Set("per_page", strconv.Itoa(qq.PerPage))
	}
	if len(v) == 0 {
		return "/alerts"
	}
	return "/alerts?" + v.Encode()
}

// parseID reads a positive decimal ID from a path segment.
func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, refuse(400, "err.bad_id", truncate(s, 40))
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseIDs reads the IDs of a bulk action, at most maxBulk (the store's
// one-transaction limit).
func parseIDs(ss []string) ([]uint64, error) {
	if len(ss) == 0 {
		return nil, refuse(400, "err.none_selected")
	}
	if len(ss) > maxBulk {
		return nil, refuse(400, "err.too_many_selected", len(ss), maxBulk)
	}
	ids := make([]uint64, 0, len(ss))
	for _, s := range ss {
		id, err := parseID(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// maxBulk bounds one bulk action.
const maxBulk = alerts.MaxBulk

// maxReason bounds a dismissal reason.
const maxReason = 1000

// statusChoices lists the alert statuses a filter takes.
func statusChoices() string {
	ss := make([]string, len(allStatuses))
	for i, st := range allStatuses {
		ss[i] = string(st)
	}
	return strings.Join(ss, ", ")
}
