package crawler

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

func TestFetchForViewingKeepsTheCrawlsGuardAndLimits(t *testing.T) {
	photo := fixtures.Known()[0].Data
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/p.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
		case "/v.mp4":
			w.Header().Set("Content-Type", "video/mp4")
			w.Write([]byte("not really"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tests := []struct {
		name         string
		allowPrivate bool
		video        bool
		url          string
		want         []byte
		wantErr      error
	}{
		{"an image is fetched whole", true, false, srv.URL + "/p.jpg", photo, nil},
		{"a private address is refused without allow_private", false, false, srv.URL + "/p.jpg", nil, ErrPrivateAddress},
		{"a video is refused as an image", true, false, srv.URL + "/v.mp4", nil, ErrVideo},
		{"a video is fetched as a video", true, true, srv.URL + "/v.mp4", []byte("not really"), nil},
		{"a video's private address is refused too", false, true, srv.URL + "/v.mp4", nil, ErrPrivateAddress},
		{"a missing image is an error", true, false, srv.URL + "/gone.jpg", nil, ErrHTTPStatus},
		{"a URL that is not http is refused", true, false, "file:///etc/passwd", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Inspector{AllowPrivate: tt.allowPrivate}
			fetch := in.FetchForViewing
			if tt.video {
				fetch = in.FetchVideoForViewing
			}
			got, err := fetch(context.Background(), tt.url)
			if tt.want != nil {
				if err != nil || !bytes.Equal(got, tt.want) {
					t.Fatalf("got %d bytes, %v", len(got), err)
				}
				return
			}
			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
