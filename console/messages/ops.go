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

		"http.400": "잘못된 요청", "http.401": "인증 필요", "http.403": "접근 거부", "http.404": "찾을 수 없음", "http.405": "허용되지 않는 방식",
		"http.409": "충돌", "http.413": "너무 큼", "http.415": "지원하지 않는 형식", "http.422": "처리할 수 없음", "http.429": "요청이 너무 많음",
		"http.500": "내부 오류", "http.503": "일시적으로 사용할 수 없음",
		"http.400.explain": "요청을 처리할 수 없습니다. 입력한 내용을 확인하세요.", "http.403.explain": "이 작업을 할 권한이 없습니다.",
		"http.404.explain": "찾는 항목이 없습니다.", "http.409.explain": "현재 상태에서는 이 작업을 할 수 없습니다.",
		"http.413.explain": "보낸 내용이 허용 크기를 넘습니다.", "http.422.explain": "파일이나 내용을 처리할 수 없습니다.",
		"http.429.explain": "요청이 너무 많습니다. 잠시 후 다시 시도하세요.", "http.503.explain": "지금은 처리할 수 없습니다. 잠시 후 다시 시도하세요.",
		"err.request": "요청을 처리할 수 없습니다.", "err.detail": "세부 내용(영어)", "err.thing_not_found": "%s %s을(를) 찾을 수 없습니다.",
		"thing.alert": "알림", "thing.notice": "삭제 요청", "thing.case": "사건", "thing.user": "사용자", "thing.site": "사이트", "thing.token": "토큰", "thing.centre": "센터",
		"templates.vars": "템플릿에 쓸 수 있는 항목", "templates.vars_note": "오른쪽 코드를 템플릿에 그대로 넣으면 발송할 때 해당 내용으로 바뀝니다.",
		"templates.preview": "미리보기", "templates.preview_title": "미리보기 (예시 데이터)", "templates.preview_error": "이 템플릿은 만들 수 없습니다. 저장되지 않습니다:",
		"templates.preview_note": "예시 사이트와 항목 두 개로 만든 미리보기입니다. 아직 저장되지 않았습니다.", "templates.subject": "제목",
		"tvar.in_each": "항목마다:", "tvar.site": "사이트 이름", "tvar.to": "받는 사람 (사이트 연락처)", "tvar.sender": "보내는 기관 이름",
		"tvar.sender_contact": "보내는 기관 연락처", "tvar.reference": "요청 번호", "tvar.date": "작성 일시", "tvar.count": "삭제 요청 항목 수",
		"tvar.each": "항목 목록 (사이의 내용을 항목마다 반복)", "tvar.number": "항목 번호 (1부터)", "tvar.page_url": "발견된 페이지 URL",
		"tvar.media_url": "파일 URL", "tvar.final_url": "리디렉션 후 최종 URL (있을 때)", "tvar.sha256": "파일 SHA-256",
		"tvar.seen": "발견 일시", "tvar.algorithm": "일치 판정 알고리즘", "tvar.distance": "해밍 거리 (작을수록 비슷함)",
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

		"http.400": "Bad Request", "http.401": "Unauthorized", "http.403": "Forbidden", "http.404": "Not Found", "http.405": "Method Not Allowed",
		"http.409": "Conflict", "http.413": "Request Entity Too Large", "http.415": "Unsupported Media Type", "http.422": "Unprocessable Entity", "http.429": "Too Many Requests",
		"http.500": "Internal Server Error", "http.503": "Service Unavailable",
		"http.400.explain": "The request cannot be processed; check what you entered.", "http.403.explain": "You may not do this.",
		"http.404.explain": "What you asked for is not there.", "http.409.explain": "This cannot be done in the current state.",
		"http.413.explain": "What you sent is over the size limit.", "http.422.explain": "The file or content cannot be processed.",
		"http.429.explain": "Too many requests; try again shortly.", "http.503.explain": "This cannot be done now; try again shortly.",
		"err.request": "The request cannot be processed.", "err.detail": "Details", "err.thing_not_found": "%s %s not found.",
		"thing.alert": "alert", "thing.notice": "notice", "thing.case": "case", "thing.user": "user", "thing.site": "site", "thing.token": "token", "thing.centre": "centre",
		"templates.vars": "What a template can write", "templates.vars_note": "Put the code on the right into the template; a notice has the matching text there.",
		"templates.preview": "Preview", "templates.preview_title": "Preview (example data)", "templates.preview_error": "This template cannot be rendered; it is not saved:",
		"templates.preview_note": "Rendered with an example site and two items. Not saved yet.", "templates.subject": "Subject",
		"tvar.in_each": "For each item:", "tvar.site": "the site's name", "tvar.to": "the recipient (the site's contact)", "tvar.sender": "the sending centre's name",
		"tvar.sender_contact": "the sending centre's contact", "tvar.reference": "the notice number", "tvar.date": "when the notice is written", "tvar.count": "how many items the notice lists",
		"tvar.each": "the list of items (what is between is repeated for each)", "tvar.number": "the item's number (from 1)", "tvar.page_url": "the page it was found on",
		"tvar.media_url": "the file's URL", "tvar.final_url": "where the file's URL led after redirects (when it did)", "tvar.sha256": "the file's SHA-256",
		"tvar.seen": "when it was seen", "tvar.algorithm": "the matching algorithm", "tvar.distance": "the Hamming distance (smaller is closer)",
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
