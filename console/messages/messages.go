// Package messages holds the console's words: every string its pages,
// errors and flash messages show, in Korean (the default: the users are
// Korean support centres) and English, keyed alike. It is data only, kept
// apart from the HTTP code that picks a language, so translators edit one
// file.
//
// Invariants, checked by the console's tests: both languages have exactly
// the same keys and the same fmt verbs per key, and every key a template or
// handler uses exists. Messages with arguments use fmt verbs.
package messages

// For returns the messages of lang ("ko" or "en"), or nil for a language
// the console does not speak. The map is shared: callers only read it.
func For(lang string) map[string]string { return catalog[lang] }

// catalog holds every UI string in every language.
var catalog = map[string]map[string]string{
	"ko": {
		"nav.dashboard": "대시보드", "nav.alerts": "알림", "nav.notices": "삭제 요청", "nav.reports": "신고 URL", "nav.cases": "사건",
		"nav.sites": "사이트", "nav.users": "사용자", "nav.audit": "감사 로그", "nav.settings": "설정", "nav.logout": "로그아웃",

		"role.admin": "관리자", "role.staff": "상담원", "role.operator": "운영자", "role.analyst": "모니터링 분석가",

		"status.new": "신규", "status.confirmed": "확인됨", "status.dismissed": "기각됨", "status.notice_sent": "삭제 요청 발송",
		"status.removed": "삭제됨", "status.withdrawn": "철회됨",

		"login.title": "로그인", "login.name": "사용자 이름", "login.password": "비밀번호", "login.submit": "로그인",
		"login.failed":   "사용자 이름 또는 비밀번호가 올바르지 않습니다.",
		"login.too_many": "로그인 실패가 너무 많습니다. %s 이후에 다시 시도하세요.",

		"err.login_required": "로그인이 필요합니다.", "err.forbidden": "이 역할로는 이 페이지를 사용할 수 없습니다.",
		"err.csrf":     "양식이 만료되었거나 올바르지 않습니다(CSRF). 페이지를 새로 고친 뒤 다시 시도하세요.",
		"err.internal": "내부 오류가 발생했습니다. 기록되었습니다.", "error.home": "처음으로",

		"done.confirmed": "알림을 확인했습니다.", "done.dismissed": "알림을 기각했습니다.", "done.bulk": "선택한 알림을 처리했습니다.",
		"done.withdrawn": "사건을 철회했습니다. 지문이 삭제되어 더 이상 일치하지 않습니다.", "done.site_pass": "크롤링을 시작하도록 요청했습니다.",
		"done.site_pause": "사이트를 일시 중지했습니다.", "done.site_resume": "사이트를 재개했습니다.", "done.user_added": "사용자를 추가했습니다.",
		"done.user_updated": "사용자를 변경했습니다.", "done.token_revoked": "토큰을 폐기했습니다.", "done.saved": "저장했습니다.",

		"alerts.title": "알림 대기열", "alerts.all": "전체", "alerts.status": "상태", "alerts.site": "사이트", "alerts.case": "사건",
		"alerts.from": "시작일", "alerts.to": "종료일", "alerts.sort": "정렬", "alerts.sort_newest": "최신순",
		"alerts.sort_confidence": "신뢰도순 (거리 낮은 순)", "alerts.filter": "적용", "alerts.showing": "%d건 · %d / %d 페이지",
		"alerts.seen": "발견 시각", "alerts.none": "조건에 맞는 알림이 없습니다.", "alerts.bulk": "선택한 알림", "alerts.apply": "일괄 처리",
		"alerts.reported": "신고",

		"alert.title": "알림 #%d", "alert.evidence": "증거", "alert.page_url": "페이지 URL", "alert.media_url": "미디어 URL",
		"alert.final_url": "최종 URL", "alert.sha256": "SHA-256", "alert.algorithm": "알고리즘", "alert.distance": "거리",
		"alert.views": "조회 뷰 %s, 등록 뷰 %s", "alert.created": "처음 발견", "alert.case_note": "사건 라벨만 표시하며 등록 콘텐츠는 보관하지 않습니다",
		"alert.reason": "사유", "alert.confirmed_at": "확인 시각", "alert.notice_sent_at": "삭제 요청 발송 시각", "alert.removed_at": "삭제 확인 시각",
		"alert.reappeared_at": "재게시 시각", "alert.last_checked": "마지막 재확인", "alert.sightings": "발견 위치",
		"alert.first_seen": "처음", "alert.last_seen": "마지막", "alert.preview": "흐림 처리된 미리보기",
		"alert.no_preview": "저장된 미리보기가 없습니다.",
		"alert.video":      "동영상 일치", "alert.video_share": "업로드의 %s가 등록 영상, 등록 영상의 %s가 업로드에 있음", "alert.mirrored": "좌우 반전",
		"alert.video_range": "업로드 %s–%s = 등록 영상 %s–%s",
		"alert.reveal_note": "미리보기는 흐림 처리되어 있지만 피해 콘텐츠일 수 있습니다. 보기를 누르면 감사 로그에 기록됩니다.",
		"alert.reveal":      "미리보기 보기 (기록됨)", "alert.actions": "조치", "alert.confirm": "확인", "alert.dismiss": "기각",
		"alert.no_actions": "이 상태에서는 할 수 있는 조치가 없습니다.", "alert.to_notices": "삭제 요청서 작성 →",

		"cases.title": "사건", "cases.register": "브라우저에서 등록", "cases.id": "사건 ID", "cases.label": "라벨", "cases.files": "이미지·동영상 파일",
		"cases.nothing_kept": "업로드한 파일은 메모리에서 지문(해시)만 계산한 뒤 즉시 버려집니다. 디스크에 기록되거나 보관되는 것은 없습니다.",
		"cases.limits":       "파일당 최대 %d MiB, 한 번에 %d개, 전체 %d MiB.", "cases.register_button": "지문 등록",
		"cases.result": "%d개 지문을 사건 %s에 등록했습니다", "cases.file": "파일", "cases.outcome": "결과", "cases.fingerprint": "지문 #%d",
		"cases.list": "사건 목록", "cases.fingerprints": "지문 수", "cases.created": "등록일", "cases.state": "상태",
		"cases.active": "활성", "cases.withdrawn_at": "%s 철회됨", "cases.confirm_withdraw": "확인을 위해 사건 ID 입력",
		"cases.withdraw": "철회", "cases.none": "사건이 없습니다.",
		"cases.withdraw_note": "철회하면 사건의 지문이 즉시 삭제되어 더 이상 일치하지 않고, 열린 알림은 닫힙니다. 되돌릴 수 없습니다.",
		"cases.need_id":       "사건 ID를 입력하세요.", "cases.need_files": "등록할 파일을 선택하세요.",
		"cases.confirm_mismatch": "확인란에 입력한 사건 ID가 일치하지 않습니다.",
		"cases.in_browser":       "사진과 이 브라우저가 재생할 수 있는 동영상은 이 기기에서 지문을 계산하며, 서버로는 지문만 전송됩니다. 브라우저가 열 수 없는 형식만 업로드됩니다.",
		"cases.path":             "처리 방식", "cases.path_browser": "이 브라우저에서 해시: 지문만 전송됨",
		"cases.path_upload": "업로드: 서버에서 해시 후 즉시 폐기", "cases.path_upload_why": "이 브라우저가 이 형식을 열 수 없음",
		"cases.hashing": "이 브라우저에서 지문 계산 중…",

		"sites.title": "감시 사이트", "sites.name": "사이트", "sites.state": "상태", "sites.pass": "회차", "sites.last_start": "마지막 시작",
		"sites.last_end": "마지막 종료", "sites.pages": "페이지", "sites.media": "미디어", "sites.new_alerts": "새 알림", "sites.skipped": "건너뜀",
		"sites.errors": "오류", "sites.queued": "대기",
		"sites.work_queue": "작업 큐 (%s 기준): 대기 %d, 처리 중 %d, 재전달 %d, 이 사이트 발송 %d, 중복 결과 %d",
		"sites.worker":     "워커 %s: 결과 %d건, 초당 %.1f건, 마지막 응답 %s",
		"sites.parked":     "파킹된 항목 %d개 (전달될 때마다 워커를 멈추거나 종료시킴):", "sites.contact": "연락처", "sites.paused": "일시 중지", "sites.running": "크롤링 중",
		"sites.interrupted": "중단됨 (재개 예정)", "sites.idle": "대기 중", "sites.never": "아직 실행 안 됨", "sites.pass_now": "지금 크롤링",
		"sites.pause": "일시 중지", "sites.resume": "재개", "sites.none": "감시 중인 사이트가 없습니다.",
		"sites.no_scheduler": "이 콘솔은 크롤러를 실행하지 않습니다. 저장된 상태만 표시합니다.",

		"users.title": "사용자", "users.name": "이름", "users.role": "역할", "users.centre": "센터", "users.state": "상태", "users.created": "생성일",
		"users.active": "활성", "users.disabled": "비활성", "users.new_password": "새 비밀번호", "users.save": "저장", "users.add": "사용자 추가",
		"users.token_scope": "범위", "users.scope_full": "역할 전체", "users.token_days": "유효 일수", "users.token_until": "만료",
		"users.own_password": "자기 비밀번호는 설정에서 현재 비밀번호와 함께 바꾸세요.",
		"users.new_token":    "API 토큰 발급", "users.token_label": "용도", "users.tokens": "API 토큰", "users.revoke": "폐기", "users.revoked": "폐기됨",
		"users.no_tokens": "발급된 토큰이 없습니다.", "users.token_once": "%s 사용자의 새 토큰입니다. 지금 복사하세요. 다시 표시되지 않습니다.",
		"users.not_self": "자기 계정을 비활성화하거나 역할을 바꿀 수 없습니다.",

		"audit.title": "감사 로그", "audit.note": "추가만 가능한 기록입니다. 수정하거나 삭제할 수 없습니다.", "audit.when": "시각",
		"audit.user": "사용자", "audit.action": "동작", "audit.target": "대상", "audit.detail": "내용", "audit.remote": "접속 주소",
		"audit.none": "기록이 없습니다.",

		"settings.title": "설정", "settings.language": "언어", "settings.lang_auto": "브라우저 설정 따름", "settings.time_zone": "시간대",
		"settings.zone_default": "기본 (Asia/Seoul)", "settings.password": "비밀번호 변경", "settings.current_password": "현재 비밀번호",
		"settings.wrong_password": "현재 비밀번호가 올바르지 않습니다.",

		"done.notice_saved": "삭제 요청서를 저장했습니다.", "done.notice_sent": "발송 완료로 기록했습니다. 알림이 '삭제 요청 발송' 상태가 되었습니다.",
		"done.contact_saved": "연락처를 저장했습니다.",

		"dashboard.title": "대시보드", "dashboard.open": "처리 대기 %d건", "dashboard.overdue": "기한 초과 삭제 요청 %d건",
		"dashboard.alerts_per_day": "일별 알림", "dashboard.last_days": "최근 %d일", "dashboard.removal": "사이트별 삭제 소요 시간",
		"dashboard.removed": "삭제 확인", "dashboard.median": "중앙값", "dashboard.p90": "90번째 백분위", "dashboard.median_hours": "삭제 소요 시간 중앙값 (시간)",
		"dashboard.no_removals": "아직 삭제가 확인된 알림이 없습니다.",
		"dashboard.national":    "전국 합계", "dashboard.of_centre": "센터: %s", "dashboard.by_centre": "센터별",
		"dashboard.alerts_in_days": "최근 %d일 알림", "dashboard.overdue_col": "기한 초과 삭제 요청", "dashboard.total": "합계", "dashboard.open_col": "처리 대기",

		"notices.title": "삭제 요청", "notices.awaiting": "삭제 요청을 기다리는 확인된 알림", "notices.none_awaiting": "삭제 요청을 기다리는 알림이 없습니다.",
		"notices.no_contact": "연락처 없음 (아래에서 입력)", "notices.generate": "템플릿으로 작성", "notices.draft": "%s 사이트에 보낼 삭제 요청 초안",
		"notices.draft_note": "내용을 확인하고 필요하면 고친 뒤 저장하세요. 저장 전에는 아무것도 기록되지 않습니다.", "notices.to": "받는 곳",
		"notices.subject": "제목", "notices.body": "본문", "notices.save": "저장", "notices.list": "삭제 요청 목록", "notices.created": "작성",
		"notices.sent": "발송", "notices.draft_state": "초안 (미발송)", "notices.overdue": "기한 초과", "notices.none": "삭제 요청이 없습니다.",
		"notice.already_sent": "이미 발송된 삭제 요청입니다.", "notice.not_delivered": "메일 서버가 삭제 요청을 받지 않았습니다",
		"notice.send": "메일로 보내기", "notice.send_to": "%s에게 메일로 보냅니다.", "notice.delivery": "메일 발송", "notice.delivered": "전달됨", "notice.failed": "실패",
		"done.notice_delivered": "메일 서버가 삭제 요청을 받았습니다. 알림이 '삭제 요청 발송' 상태가 되었습니다.", "done.notice_not_delivered": "메일 서버가 삭제 요청을 받지 않았습니다. 아래의 서버 응답을 확인하세요. 아무것도 바뀌지 않았습니다.",
		"notices.no_recipient": "받는 곳이 없습니다. 사이트의 삭제 요청 연락처를 입력하거나 받는 곳을 적으세요. 아무것도 바뀌지 않았습니다.",
		"notice.title":         "삭제 요청 #%d", "notice.eml": ".eml로 내보내기 (메일 프로그램)", "notice.txt": "텍스트로 내보내기",
		"notice.mark_sent": "발송 완료로 기록", "notice.alerts": "이 요청의 알림", "notice.no_eml": "연락처가 메일 주소가 아니어서 .eml을 만들 수 없습니다. 텍스트로 내보내세요",
		"notice.overdue_note": "발송 후 24시간이 지났지만 콘텐츠가 아직 삭제되지 않았습니다. 다시 연락하세요.",
		"templates.title":     "삭제 요청 템플릿", "templates.note": "저장 전에 템플릿이 올바르게 만들어지는지 확인합니다. 되돌리기를 누르면 기본 템플릿으로 돌아갑니다.",
		"templates.custom": "수정됨", "templates.reset": "기본값으로 되돌리기",

		"reports.title": "신고된 URL", "reports.note": "상담 창구나 협력 기관이 콘텐츠를 본 URL을 한 줄에 하나씩 입력하세요. 즉시 가져와 지문을 비교하고, 일치하면 알림 대기열에 '신고'로 들어갑니다.",
		"reports.urls": "URL (한 줄에 하나)", "reports.comment": "메모", "reports.submit": "확인하기", "reports.result": "신고 #%d 결과",
		"reports.outcome": "결과", "reports.list": "최근 신고", "reports.when": "접수", "reports.none": "신고가 없습니다.",
		"reports.state_pending": "대기", "reports.state_error": "오류", "reports.state_no_match": "일치 없음", "reports.state_match": "일치 — 알림 생성",

		"pager.prev": "이전", "pager.next": "다음", "pager.older": "이전 기록",

		// Flood quarantine and the negative bank (quarantine.go).
		"nav.quarantine": "격리", "nav.negative": "제외 목록", "status.quarantined": "격리됨",
		"qstate.quarantined": "격리 중", "qstate.released": "해제됨", "qstate.retired": "폐기됨",
		"done.released": "지문을 해제했습니다. 보류된 알림이 대기열로 돌아갔습니다.", "done.retired": "지문을 폐기했습니다. 더 이상 일치하지 않으며 보류된 알림은 기각되었습니다.",
		"done.negative": "알림을 기각하고 미디어를 제외 목록에 추가했습니다.", "done.negative_removed": "제외 목록에서 삭제했습니다.",
		"quarantine.title": "격리된 지문", "quarantine.limit": "%d개를 넘는 서로 다른 미디어가 %s 안에 일치하면 격리합니다.", "quarantine.off": "격리가 꺼져 있습니다.",
		"quarantine.note": "한 지문이 짧은 시간에 서로 다른 미디어와 많이 일치하면 대개 무관한 그림과 닮은 지문입니다. 그 알림은 운영자 대기열 대신 여기 보류됩니다.",
		"quarantine.none": "격리된 지문이 없습니다.", "quarantine.fingerprint": "지문 #%d", "quarantine.since": "격리 시각", "quarantine.floods": "%d번째",
		"quarantine.media": "미디어", "quarantine.media_count": "서로 다른 미디어 %d개 (보류 %d개), %s – %s",
		"quarantine.days": "날짜별", "quarantine.sites": "사이트별", "quarantine.distances": "거리 분포",
		"quarantine.release": "해제 (알림을 대기열로)", "quarantine.retire": "폐기 (지문 삭제)",
		"quarantine.decide_note": "해제하면 보류된 알림이 신규로 대기열에 들어가고 횟수가 다시 시작됩니다. 폐기하면 이 지문이 즉시 삭제되어 더 이상 일치하지 않고 보류된 알림은 사유와 함께 기각됩니다. 모두 감사 로그에 기록됩니다.",
		"quarantine.closed":      "해제·폐기된 지문", "quarantine.state": "상태", "quarantine.decided": "결정",
		"negative.title": "제외 목록", "negative.note": "운영자가 '이 콘텐츠가 아님'(사이트 로고, 배너, 스톡 사진)으로 기각한 미디어입니다. SHA-256이 같거나 PDQ 거리가 %d 이하인 미디어는 어느 사이트, 어느 사건에서도 알림을 만들지 않습니다. 미디어 자체는 보관하지 않습니다.",
		"negative.none": "제외 목록이 비어 있습니다.", "negative.alert": "알림", "negative.added": "추가", "negative.remove": "삭제",
		"alert.negative": "이 콘텐츠가 아님 — 제외 목록에 추가 (모든 사이트·사건에서 다시 알리지 않음)", "alert.negative_add": "제외 목록에 추가",
		"alert.in_negative":      "이 미디어는 제외 목록 #%d에 있습니다.",
		"alert.negative_note":    "제외 목록에는 미디어의 SHA-256과 PDQ 해시만 저장되며, 추가와 삭제는 감사 로그에 기록됩니다.",
		"alert.quarantined_note": "이 알림의 지문은 너무 많은 미디어와 일치하여 격리되었습니다. 상담원이 해제하거나 폐기할 때까지 보류됩니다.",
	},
	"en": {
		"nav.dashboard": "Dashboard", "nav.alerts": "Alerts", "nav.notices": "Notices", "nav.reports": "Reported URLs", "nav.cases": "Cases",
		"nav.sites": "Sites", "nav.users": "Users", "nav.audit": "Audit log", "nav.settings": "Settings", "nav.logout": "Log out",

		"role.admin": "admin", "role.staff": "staff", "role.operator": "operator", "role.analyst": "analyst",

		"status.new": "new", "status.confirmed": "confirmed", "status.dismissed": "dismissed", "status.notice_sent": "notice sent",
		"status.removed": "removed", "status.withdrawn": "withdrawn",

		"login.title": "Log in", "login.name": "User name", "login.password": "Password", "login.submit": "Log in",
		"login.failed":   "Wrong user name or password.",
		"login.too_many": "Too many failed logins. Try again after %s.",

		"err.login_required": "Please log in.", "err.forbidden": "Your role may not use this page.",
		"err.csrf":     "The form expired or is not valid (CSRF). Reload the page and try again.",
		"err.internal": "Internal error; it was logged.", "error.home": "Back to the start",

		"done.confirmed": "Alert confirmed.", "done.dismissed": "Alert dismissed.", "done.bulk": "The selected alerts were updated.",
		"done.withdrawn": "Case withdrawn: its fingerprints are deleted and match nothing any more.", "done.site_pass": "A pass was requested.",
		"done.site_pause": "Site paused.", "done.site_resume": "Site resumed.", "done.user_added": "User added.",
		"done.user_updated": "User updated.", "done.token_revoked": "Token revoked.", "done.saved": "Saved.",

		"alerts.title": "Alert queue", "alerts.all": "All", "alerts.status": "Status", "alerts.site": "Site", "alerts.case": "Case",
		"alerts.from": "From", "alerts.to": "To", "alerts.sort": "Order", "alerts.sort_newest": "Newest first",
		"alerts.sort_confidence": "Highest confidence (lowest distance) first", "alerts.filter": "Apply", "alerts.showing": "%d alerts · page %d of %d",
		"alerts.seen": "Seen", "alerts.none": "No alerts match.", "alerts.bulk": "Selected alerts", "alerts.apply": "Apply to selected",
		"alerts.reported": "reported",

		"alert.title": "Alert #%d", "alert.evidence": "Evidence", "alert.page_url": "Page URL", "alert.media_url": "Media URL",
		"alert.final_url": "Final URL", "alert.sha256": "SHA-256", "alert.algorithm": "Algorithm", "alert.distance": "Distance",
		"alert.views": "query view %s, registered view %s", "alert.created": "First seen", "alert.case_note": "only the case label is shown; registered content is never kept",
		"alert.reason": "Reason", "alert.confirmed_at": "Confirmed", "alert.notice_sent_at": "Notice sent", "alert.removed_at": "Removal seen",
		"alert.reappeared_at": "Reappeared", "alert.last_checked": "Last re-check", "alert.sightings": "Sightings",
		"alert.first_seen": "First", "alert.last_seen": "Last", "alert.preview": "Blurred preview",
		"alert.no_preview": "No preview is stored.",
		"alert.video":      "Video match", "alert.video_share": "%s of the upload shows the registered video; %s of the registered video is in the upload", "alert.mirrored": "mirrored",
		"alert.video_range": "upload %s–%s = registered %s–%s",
		"alert.reveal_note": "The preview is blurred but may still show a victim's content. Revealing it is recorded in the audit log.",
		"alert.reveal":      "Reveal preview (recorded)", "alert.actions": "Actions", "alert.confirm": "Confirm", "alert.dismiss": "Dismiss",
		"alert.no_actions": "No action applies in this status.", "alert.to_notices": "Write a takedown notice →",

		"cases.title": "Cases", "cases.register": "Register in the browser", "cases.id": "Case ID", "cases.label": "Label", "cases.files": "Image and video files",
		"cases.nothing_kept": "Uploaded files are fingerprinted (hashed) in memory and discarded at once. Nothing is written to disk or kept.",
		"cases.limits":       "At most %d MiB per file, %d files at once, %d MiB in all.", "cases.register_button": "Register fingerprints",
		"cases.result": "Registered %d fingerprint(s) under case %s", "cases.file": "File", "cases.outcome": "Outcome", "cases.fingerprint": "fingerprint #%d",
		"cases.list": "Cases", "cases.fingerprints": "Fingerprints", "cases.created": "Created", "cases.state": "State",
		"cases.active": "active", "cases.withdrawn_at": "withdrawn %s", "cases.confirm_withdraw": "Type the case ID to confirm",
		"cases.withdraw": "Withdraw", "cases.none": "No cases yet.",
		"cases.withdraw_note": "Withdrawing deletes the case's fingerprints at once — they stop matching — and closes its open alerts. It cannot be undone.",
		"cases.need_id":       "Enter a case ID.", "cases.need_files": "Choose files to register.",
		"cases.confirm_mismatch": "The case ID typed to confirm does not match.",
		"cases.in_browser":       "Pictures, and videos this browser can play, are fingerprinted on this device; only the fingerprints are sent to the server. Only formats the browser cannot open are uploaded.",
		"cases.path":             "Path", "cases.path_browser": "hashed in this browser: only the fingerprint was sent",
		"cases.path_upload": "uploaded: hashed on the server and discarded", "cases.path_upload_why": "this browser cannot open the format",
		"cases.hashing": "Fingerprinting in this browser…",

		"sites.title": "Watched sites", "sites.name": "Site", "sites.state": "State", "sites.pass": "Pass", "sites.last_start": "Last start",
		"sites.last_end": "Last end", "sites.pages": "Pages", "sites.media": "Media", "sites.new_alerts": "New alerts", "sites.skipped": "Skipped",
		"sites.errors": "Errors", "sites.queued": "Queued",
		"sites.work_queue": "Work queue (as of %s): %d waiting, %d in flight, %d redelivered, %d of this site's dispatched, %d duplicate results",
		"sites.worker":     "worker %s: %d results, %.1f/s, last seen %s",
		"sites.parked":     "%d items parked (they killed or stalled a worker on every delivery):", "sites.contact": "Contact", "sites.paused": "paused", "sites.running": "crawling",
		"sites.interrupted": "interrupted (will resume)", "sites.idle": "idle", "sites.never": "never ran", "sites.pass_now": "Crawl now",
		"sites.pause": "Pause", "sites.resume": "Resume", "sites.none": "No watched sites.",
		"sites.no_scheduler": "This console runs no crawler; stored status only.",

		"users.title": "Users", "users.name": "Name", "users.role": "Role", "users.centre": "Centre", "users.state": "State", "users.created": "Created",
		"users.active": "active", "users.disabled": "disabled", "users.new_password": "New password", "users.save": "Save", "users.add": "Add user",
		"users.token_scope": "Scope", "users.scope_full": "whole role", "users.token_days": "days valid", "users.token_until": "until",
		"users.own_password": "Change your own password under Settings, which asks for the current one.",
		"users.new_token":    "Issue API token", "users.token_label": "Purpose", "users.tokens": "API tokens", "users.revoke": "Revoke", "users.revoked": "revoked",
		"users.no_tokens": "No tokens issued.", "users.token_once": "New token for %s. Copy it now: it will not be shown again.",
		"users.not_self": "You cannot disable your own account or change your own role.",

		"audit.title": "Audit log", "audit.note": "Append-only: entries cannot be edited or deleted.", "audit.when": "When",
		"audit.user": "User", "audit.action": "Action", "audit.target": "Target", "audit.detail": "Detail", "audit.remote": "From",
		"audit.none": "No entries.",

		"settings.title": "Settings", "settings.language": "Language", "settings.lang_auto": "As the browser asks", "settings.time_zone": "Time zone",
		"settings.zone_default": "Default (Asia/Seoul)", "settings.password": "Change password", "settings.current_password": "Current password",
		"settings.wrong_password": "The current password is wrong.",

		"done.notice_saved": "Notice saved.", "done.notice_sent": "Marked sent: its alerts are now notice sent.",
		"done.contact_saved": "Contact saved.",

		"dashboard.title": "Dashboard", "dashboard.open": "%d open", "dashboard.overdue": "%d overdue notice(s)",
		"dashboard.alerts_per_day": "Alerts per day", "dashboard.last_days": "last %d days", "dashboard.removal": "Time to removal per site",
		"dashboard.removed": "Removed", "dashboard.median": "Median", "dashboard.p90": "90th percentile", "dashboard.median_hours": "Median time to removal (hours)",
		"dashboard.no_removals": "No removal seen yet.",
		"dashboard.national":    "National total", "dashboard.of_centre": "Centre: %s", "dashboard.by_centre": "By centre",
		"dashboard.alerts_in_days": "Alerts, last %d days", "dashboard.overdue_col": "Overdue notices", "dashboard.total": "Total", "dashboard.open_col": "Open",

		"notices.title": "Takedown notices", "notices.awaiting": "Confirmed alerts awaiting a notice", "notices.none_awaiting": "No alert awaits a notice.",
		"notices.no_contact": "no contact (set one below)", "notices.generate": "Write from template", "notices.draft": "Draft notice to %s",
		"notices.draft_note": "Check the text, edit it if needed, then save. Nothing is stored before you save.", "notices.to": "To",
		"notices.subject": "Subject", "notices.body": "Body", "notices.save": "Save", "notices.list": "Notices", "notices.created": "Written",
		"notices.sent": "Sent", "notices.draft_state": "draft (not sent)", "notices.overdue": "overdue", "notices.none": "No notices yet.",
		"notice.already_sent": "This notice was sent already.", "notice.not_delivered": "The mail server did not accept the notice",
		"notice.send": "Send by mail", "notice.send_to": "Sends the notice by mail to %s.", "notice.delivery": "Mail delivery", "notice.delivered": "delivered", "notice.failed": "failed",
		"done.notice_delivered": "The mail server accepted the notice; its alerts are now notice sent.", "done.notice_not_delivered": "The mail server did not accept the notice: see its reply below. Nothing else changed.",
		"notices.no_recipient": "The notice has no recipient. Set the site's takedown contact or type a recipient; nothing was changed.",
		"notice.title":         "Notice #%d", "notice.eml": "Export .eml (mail client)", "notice.txt": "Export plain text",
		"notice.mark_sent": "Mark sent", "notice.alerts": "Alerts in this notice", "notice.no_eml": "the contact is not a mail address, so no .eml can be made; export plain text",
		"notice.overdue_note": "Sent over 24 hours ago and the content is still up: follow up.",
		"templates.title":     "Notice templates", "templates.note": "A template is checked to render before it is saved. Reset restores the shipped template.",
		"templates.custom": "edited", "templates.reset": "Reset to shipped",

		"reports.title": "Reported URLs", "reports.note": "Paste where a hotline or partner saw content, one URL per line. Each is fetched at once and matched; matches enter the alert queue marked reported.",
		"reports.urls": "URLs (one per line)", "reports.comment": "Note", "reports.submit": "Check", "reports.result": "Report #%d",
		"reports.outcome": "Outcome", "reports.list": "Recent reports", "reports.when": "Received", "reports.none": "No reports yet.",
		"reports.state_pending": "pending", "reports.state_error": "error", "reports.state_no_match": "no match", "reports.state_match": "match — alert raised",

		"pager.prev": "Previous", "pager.next": "Next", "pager.older": "Older entries",

		// Flood quarantine and the negative bank (quarantine.go).
		"nav.quarantine": "Quarantine", "nav.negative": "Negative bank", "status.quarantined": "quarantined",
		"qstate.quarantined": "held", "qstate.released": "released", "qstate.retired": "retired",
		"done.released": "Fingerprint released; its held alerts are back in the queue.", "done.retired": "Fingerprint retired; it no longer matches and its held alerts were dismissed.",
		"done.negative": "Alert dismissed and its media added to the negative bank.", "done.negative_removed": "Removed from the negative bank.",
		"quarantine.title": "Quarantined fingerprints", "quarantine.limit": "A fingerprint is quarantined when it matches more than %d distinct media within %s.", "quarantine.off": "Quarantine is off.",
		"quarantine.note": "A fingerprint that matches many different files in a short time is usually one that resembles unrelated pictures. Its alerts are held here instead of in the operators' queue.",
		"quarantine.none": "No fingerprint is quarantined.", "quarantine.fingerprint": "Fingerprint #%d", "quarantine.since": "Quarantined", "quarantine.floods": "flood %d",
		"quarantine.media": "Media", "quarantine.media_count": "%d distinct media (%d held), %s – %s",
		"quarantine.days": "Per day", "quarantine.sites": "Per site", "quarantine.distances": "Distances",
		"quarantine.release": "Release (alerts to the queue)", "quarantine.retire": "Retire (delete the fingerprint)",
		"quarantine.decide_note": "Releasing sends the held alerts to the queue as new and restarts the count. Retiring deletes this fingerprint at once — it stops matching — and dismisses the held alerts with the reason. Both are recorded in the audit log.",
		"quarantine.closed":      "Released and retired fingerprints", "quarantine.state": "State", "quarantine.decided": "Decided",
		"negative.title": "Negative bank", "negative.note": "Media operators dismissed as not this content (site logos, banners, stock pictures). Media with the same SHA-256, or a PDQ hash within %d bits, raise no alert on any site for any case. The media itself is not kept.",
		"negative.none": "The negative bank is empty.", "negative.alert": "Alert", "negative.added": "Added", "negative.remove": "Remove",
		"alert.negative": "Not this content — add to the negative bank (never alert again on any site or case)", "alert.negative_add": "Add to the negative bank",
		"alert.in_negative":      "This media is negative bank entry #%d.",
		"alert.negative_note":    "The negative bank keeps only the media's SHA-256 and PDQ hash; adding and removing are recorded in the audit log.",
		"alert.quarantined_note": "This alert's fingerprint matched too many media and is quarantined. The alert is held until staff release or retire it.",
	},
}
