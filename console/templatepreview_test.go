package console

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTemplatePreviewRendersWithoutSavingAndListsTheVariablesInWords(t *testing.T) {
	e := newEnv(t, nil)
	op := e.login("op1")
	page := readAll(op.get("/notice-templates"))
	for _, want := range []string{"the site&#39;s name", "{{.Site}}", "the list of items (what is between is repeated for each)", "For each item:", ">Preview</button>"} {
		if !strings.Contains(page, want) {
			t.Errorf("templates page lacks %q", want)
		}
	}
	tests := []struct {
		name   string
		text   string
		status int
		want   []string
	}{
		{"a template is shown filled with the example",
			"Subject: Hi {{.Site}} ({{.Reference}})\n\n{{range $i, $it := .Items}}{{inc $i}}. {{$it.PageURL}} d={{$it.Distance}}\n{{end}}", http.StatusOK,
			[]string{"Hi board (notice no. 12)", "1. https://board.example/thread/481 d=12", "2. https://board.example/thread/502 d=4", "Not saved yet"}},
		{"a broken template shows why and keeps the text as typed",
			"Subject: x\n\n{{.Nope}}", http.StatusUnprocessableEntity,
			[]string{"This template cannot be rendered", "Nope", html.EscapeString("{{.Nope}}")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := op.postForm("/notice-templates/en/preview", url.Values{"text": {tt.text}}, op.csrf)
			body := readAll(resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("preview: %d, want %d: %.400s", resp.StatusCode, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("preview lacks %q", w)
				}
			}
			if _, custom, err := e.db.Takedown.NoticeTemplateOf("national", "en"); err != nil || custom {
				t.Fatalf("a preview saved the template (custom %v, %v)", custom, err)
			}
		})
	}
}
