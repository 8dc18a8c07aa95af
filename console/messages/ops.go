package messages

// opsWords are the words of the analysts' and admins' pages added for
// the operators' day (issue 15): editing sites.yaml from the console,
// crawl errors in words, notice template previews.
var opsWords = map[string]map[string]string{
	"ko": {
		"sites.interval": "주기", "sites.next": "다음 크롤링", "sites.took": "마지막 소요 시간", "sites.due_now": "곧 시작",
		"sites.error_kinds": "오류 종류", "sites.latest_errors": "최근 오류", "sites.refreshes": "이 페이지는 %d초마다 새로 고쳐집니다.",
		"sites.add": "사이트 추가", "sites.edit": "편집", "sites.remove": "삭제", "sites.reload": "sites.yaml 다시 읽기",
		"sites.reload_note":    "%s 파일을 직접 고쳤다면 다시 읽으세요(서버에 SIGHUP을 보내도 됩니다).",
		"sites.remove_confirm": "사이트를 삭제해도 저장된 크롤링 상태와 알림은 남습니다.",
		"sites.not_configured": "sites.yaml에 없음",

		"siteedit.title": "사이트 설정", "siteedit.name": "이름", "siteedit.seeds": "시작 URL (한 줄에 하나)",
		"siteedit.domains": "허용 도메인 (한 줄에 하나, 비우면 시작 URL의 호스트)", "siteedit.interval": "주기 (예: 6h, 30m; 비우면 6h)",
		"siteedit.delay": "요청 간격 (예: 1s; 비우면 1s)", "siteedit.max_depth": "최대 링크 깊이 (비우면 3)", "siteedit.parallelism": "동시 요청 수 (비우면 2)",
		"siteedit.include": "포함 패턴 (정규식, 한 줄에 하나)", "siteedit.exclude": "제외 패턴 (정규식, 한 줄에 하나)", "siteedit.contact": "삭제 요청 연락처",
		"siteedit.save": "저장", "siteedit.cancel": "취소", "siteedit.invalid": "저장하지 않았습니다. sites.yaml 검사 결과:",
		"siteedit.note": "저장하면 %s 파일에 기록하고(임시 파일 후 이름 바꾸기) 즉시 다시 읽습니다. 여기 없는 키는 그대로 유지됩니다. 변경은 감사 로그에 기록됩니다.",

		"done.site_added": "사이트를 추가했습니다.", "done.site_saved": "사이트 설정을 저장했습니다.", "done.site_removed": "사이트를 삭제했습니다.",
		"done.sites_reloaded": "sites.yaml을 다시 읽었습니다.",

		"errkind.http_status": "HTTP 오류 응답", "errkind.private_address": "사설 주소 연결 거부", "errkind.too_large": "크기 제한 초과",
		"errkind.unsupported": "지원하지 않는 형식", "errkind.corrupt": "손상된 파일", "errkind.redirects": "리디렉션 과다",
		"errkind.out_of_scope": "허용 범위 밖", "errkind.video": "이미지 대신 동영상", "errkind.timeout": "시간 초과",
		"errkind.reset": "연결 끊김", "errkind.refused": "연결 거부", "errkind.dns": "호스트 이름을 찾을 수 없음", "errkind.tls": "TLS 인증서 오류",
		"errkind.unavailable": "중앙 서버 응답 없음", "errkind.cancelled": "취소됨", "errkind.fetch": "가져오기 실패",
		"crawlerr.at": "%s: %s",
	},
	"en": {
		"sites.interval": "Interval", "sites.next": "Next pass", "sites.took": "Last pass took", "sites.due_now": "due now",
		"sites.error_kinds": "Errors by kind", "sites.latest_errors": "Latest errors", "sites.refreshes": "This page refreshes every %d seconds.",
		"sites.add": "Add a site", "sites.edit": "Edit", "sites.remove": "Remove", "sites.reload": "Reload sites.yaml",
		"sites.reload_note":    "If you edited %s by hand, reload it (or send the server SIGHUP).",
		"sites.remove_confirm": "Removing a site keeps its stored crawl status and alerts.",
		"sites.not_configured": "not in sites.yaml",

		"siteedit.title": "Site settings", "siteedit.name": "Name", "siteedit.seeds": "Seed URLs (one a line)",
		"siteedit.domains": "Allowed domains (one a line; empty: the seeds' hosts)", "siteedit.interval": "Interval (e.g. 6h, 30m; empty: 6h)",
		"siteedit.delay": "Delay between requests (e.g. 1s; empty: 1s)", "siteedit.max_depth": "Link depth (empty: 3)", "siteedit.parallelism": "Requests at once (empty: 2)",
		"siteedit.include": "Include patterns (regular expressions, one a line)", "siteedit.exclude": "Exclude patterns (regular expressions, one a line)", "siteedit.contact": "Takedown contact",
		"siteedit.save": "Save", "siteedit.cancel": "Cancel", "siteedit.invalid": "Not saved. sites.yaml's checks say:",
		"siteedit.note": "Saving writes %s (a temporary file renamed over it) and reloads it at once. Keys not on this form are kept. The change is audited.",

		"done.site_added": "Site added.", "done.site_saved": "Site settings saved.", "done.site_removed": "Site removed.",
		"done.sites_reloaded": "sites.yaml reloaded.",

		"errkind.http_status": "HTTP error response", "errkind.private_address": "private address refused", "errkind.too_large": "over a size limit",
		"errkind.unsupported": "unsupported format", "errkind.corrupt": "corrupt file", "errkind.redirects": "too many redirects",
		"errkind.out_of_scope": "out of scope", "errkind.video": "a video, not an image", "errkind.timeout": "timed out",
		"errkind.reset": "connection reset", "errkind.refused": "connection refused", "errkind.dns": "host name not found", "errkind.tls": "TLS certificate error",
		"errkind.unavailable": "central server unavailable", "errkind.cancelled": "cancelled", "errkind.fetch": "fetch failed",
		"crawlerr.at": "%s: %s",
	},
}

func init() {
	for lang, words := range opsWords {
		for k, v := range words {
			if _, dup := catalog[lang][k]; dup {
				panic("messages: " + lang + " key " + k + " defined twice")
			}
			catalog[lang][k] = v
		}
	}
}
