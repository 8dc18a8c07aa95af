package messages

import "fmt"

// The alert queue's, review mode's and alert page's words (issue 15):
// defaults, bulk refusals, claims, keyboard shortcuts, why an alert
// matched and the views' names. They join the catalog once, when the
// program starts; a key defined twice stops it there.
var reviewWords = map[string]map[string]string{
	"ko": {
		"done.bulk_n": "알림 %d건을 처리했습니다.", "done.confirmed_n": "알림 #%d을(를) 확인했습니다.", "done.dismissed_n": "알림 #%d을(를) 기각했습니다.",
		"done.claim_released": "알림 담당을 해제했습니다. 다른 운영자가 바로 맡을 수 있습니다.",

		"alerts.review_from": "여기서부터 검토 모드", "alerts.sort_oldest": "오래된 순 (가장 오래 기다린 알림부터)", "alerts.review": "검토 모드로 시작",
		"alerts.review_keys":      "키보드: j 검토 시작",
		"alerts.confirm_selected": "선택한 알림 확인", "alerts.dismiss_selected": "선택한 알림 기각",
		"alerts.select_all": "이 페이지 전체 선택", "alerts.thumb": "미리보기",
		"alerts.claimed_by":       "%s 님이 처리 중",
		"alerts.need_reason":      "기각하려면 사유가 필요합니다. 사유를 입력하거나 목록에서 고르세요.",
		"alerts.bulk_refused":     "알림 %d건(선택한 %d건 중)을 처리할 수 없어 아무것도 바꾸지 않았습니다. 표시된 행을 확인하세요.",
		"alerts.bulk_refused_api": "알림 %d건(요청한 %d건 중)을 처리할 수 없어 아무것도 바꾸지 않았습니다. results에 알림별 이유가 있습니다.",
		"alert.need_reason":       "기각하려면 사유가 필요합니다. 사유를 입력하거나 목록에서 고르세요.",

		"reason.not_same": "같은 사진이 아님", "reason.layout": "구도·템플릿만 비슷함", "reason.logo": "로고·배너·빈 화면",
		"reason.duplicate": "이미 삭제됨 또는 중복 알림", "reason.remit": "센터 소관이 아님",

		"refused.claimed": "알림 #%d: %s 님이 %s까지 처리 중입니다.",
		"refused.status":  "알림 #%d: 현재 '%s' 상태라서 '%s'(으)로 바꿀 수 없습니다.",
		"refused.missing": "이 알림이 없습니다.",

		"review.title": "검토 모드", "review.prev": "이전", "review.next": "다음", "review.position": "대기열 %d / %d",
		"review.left": "대기열에서 빠짐 · 남은 알림 %d건", "review.end": "마지막 알림입니다", "review.queue": "대기열로",
		"review.keys":        "키보드: j 다음 · k 이전 · r 다음 보기 단계(기록됨: 흐림 → 선명 → 원본) · c 확인 · d 기각(사유 선택) · q 대기열",
		"review.reason_keys": "사유 번호(1–5)를 누르면 기각합니다 · t 직접 입력 · Esc 취소",

		"claim.mine": "이 알림은 %s까지 내가 담당합니다. 다른 운영자에게는 처리 중으로 보입니다.", "claim.release": "담당 해제",
		"claim.other": "%s 님이 %s까지 이 알림을 처리 중입니다. 그때까지 결정은 거부됩니다.",

		"view.no_fetcher": "이 콘솔은 크롤러 없이 실행 중이라 원본을 가져와 볼 수 없습니다.",
		"view.video":      "동영상 알림은 아직 원본 보기를 지원하지 않습니다. 흐림 미리보기와 일치 구간을 참고하세요.",
		"view.step_first": "이전 단계를 먼저 보세요: 흐림 미리보기 → 더 선명하게 → 원본.",
		"view.gone":       "원본을 가져올 수 없습니다. 사이트가 더 이상 제공하지 않거나 제한을 넘었습니다.",
		"view.clearer":    "더 선명하게 보기 (실시간으로 가져옴, 기록됨)", "view.full": "원본 보기 (실시간으로 가져옴, 기록됨)",
		"view.colour": "컬러로", "view.grey_note": "기본은 흑백입니다. 원본은 저장되지 않고 화면에만 전달됩니다.",
		"settings.view_colour":   "매칭된 미디어의 선명한 보기와 원본을 컬러로 보기 (기본은 흑백)",
		"view.not_video":         "동영상 알림에만 키프레임 보기가 있습니다.",
		"view.keyframes":         "일치한 시점의 흐림 키프레임 보기 (실시간으로 가져옴, 기록됨)",
		"view.keyframes_alt":     "일치한 시점의 흐림 키프레임",
		"view.keyframes_caption": "발견된 동영상에서 등록 영상과 일치한 구간의 프레임을 흐리게 처리했습니다. 저장되지 않습니다.",
		"view.clearer_alt":       "더 선명한 보기", "view.full_alt": "원본",
		"why.title":            "일치한 이유",
		"why.distance":         "두 지문은 %d / %d비트가 다릅니다 (%s).",
		"why.threshold":        "알림 기준은 %d비트 이하입니다.",
		"why.threshold_wide":   "알림 기준은 %d비트 이하이며, pHash와 dHash도 가깝게 일치하면 %d비트까지입니다.",
		"why.confidence":       "신뢰도",
		"why.conf_exact":       "지문이 똑같습니다. 같은 사진이 다시 저장된 것입니다.",
		"why.conf_high":        "매우 가깝습니다. 압축·크기 변경 정도의 가벼운 편집입니다.",
		"why.conf_medium":      "가깝습니다. 편집된 사본일 수 있으니 미리보기로 확인하세요.",
		"why.conf_low":         "일반 기준을 넘었지만 다른 해시들이 함께 일치해 알렸습니다. 주의해서 확인하세요.",
		"why.views":            "발견된 사진은 %s, 등록된 사진은 %s 상태에서 일치했습니다.",
		"why.sightings":        "%d곳(페이지 %d개)에서 발견되었습니다. 처음 %s, 마지막 %s.",
		"why.reported":         "신고된 URL에서 시작된 알림입니다.",
		"why.registered_image": "등록 측: 사건 %s, %s 등록, %d×%d 이미지.",
		"why.registered_video": "등록 측: 사건 %s, %s 등록, %d×%d 동영상, 길이 %s.",
		"why.timeline":         "발견된 동영상에서 등록 영상과 일치한 구간",
		"why.timeline_caption": "발견된 동영상(약 %s) 중 등록 영상과 일치한 구간",

		"view.original": "원본 그대로", "view.trimmed": "단색 테두리를 잘라낸", "view.mirror": "좌우 반전된",
		"view.uncaptioned": "%s 자막 띠를 잘라낸", "view.uncaptioned_both": "위아래 자막 띠를 잘라낸", "view.frames": "프레임별로", "view.frames_mirrored": "좌우 반전된 프레임별로",
		"view.then": "%s 뒤 %s", "view.turn": "%d° 회전된", "view.tilt": "%s° 기울어진",
		"view.straight": "%s° 돌린 뒤 빈 모서리를 잘라낸",
		"view.crop_all": "네 변에서 %d%%씩 잘린", "view.crop_side": "%d%%가 %s에서 잘린",
		"view.frame_at": "%s 지점 프레임",
		"view.half":     "%s 절반만", "view.quarter": "%s 4분의 1만",
		"side.t": "위쪽", "side.b": "아래쪽", "side.l": "왼쪽", "side.r": "오른쪽",
		"side.tl": "왼쪽 위 모서리", "side.tr": "오른쪽 위 모서리", "side.bl": "왼쪽 아래 모서리", "side.br": "오른쪽 아래 모서리",
	},
	"en": {
		"done.bulk_n": "%d alerts updated.", "done.confirmed_n": "Alert #%d confirmed.", "done.dismissed_n": "Alert #%d dismissed.",
		"done.claim_released": "You no longer hold the alert; another operator may take it at once.",

		"alerts.review_from": "Review mode from here", "alerts.sort_oldest": "Oldest first (waiting longest)", "alerts.review": "Start review mode",
		"alerts.review_keys":      "Keyboard: j starts the review",
		"alerts.confirm_selected": "Confirm selected", "alerts.dismiss_selected": "Dismiss selected",
		"alerts.select_all": "Select all on this page", "alerts.thumb": "Preview",
		"alerts.claimed_by":       "being worked by %s",
		"alerts.need_reason":      "Dismissing needs a reason: type one or pick one from the list.",
		"alerts.bulk_refused":     "%d of the %d selected alerts cannot be decided, so nothing was changed. See the marked rows.",
		"alerts.bulk_refused_api": "%d of the %d alerts cannot be decided, so none was changed; results says why for each.",
		"alert.need_reason":       "Dismissing needs a reason: type one or pick one from the list.",

		"reason.not_same": "Not the same picture", "reason.layout": "Only the layout or template is alike", "reason.logo": "Logo, banner or blank frame",
		"reason.duplicate": "Already removed or a duplicate alert", "reason.remit": "Outside the centre's remit",

		"refused.claimed": "Alert #%d: %s is working on it until %s.",
		"refused.status":  "Alert #%d is %s now; it cannot become %s.",
		"refused.missing": "There is no such alert.",

		"review.title": "Review mode", "review.prev": "Previous", "review.next": "Next", "review.position": "%d of %d in the queue",
		"review.left": "No longer in the queue · %d left", "review.end": "This is the last alert", "review.queue": "Back to the queue",
		"review.keys":        "Keyboard: j next · k previous · r next viewing step (recorded: blurred, clearer, picture) · c confirm · d dismiss (pick a reason) · q queue",
		"review.reason_keys": "Press a reason's number (1–5) to dismiss · t to type another · Esc to cancel",

		"claim.mine": "You hold this alert until %s; other operators see it as being worked.", "claim.release": "Release it",
		"claim.other": "%s is working on this alert until %s; decisions on it are refused until then.",

		"view.no_fetcher": "This console runs without the crawler, so it cannot fetch the picture from its source.",
		"view.video":      "Video alerts cannot be viewed live yet; use the blurred preview and the matched stretches.",
		"view.step_first": "Take the step before first: blurred preview → clearer → full.",
		"view.gone":       "The picture could not be fetched: the site no longer serves it, or it is over the limits.",
		"view.clearer":    "View clearer (fetched live, recorded)", "view.full": "View the picture (fetched live, recorded)",
		"view.colour": "in colour", "view.grey_note": "Grey by default. The picture is fetched from the source and shown, never stored.",
		"settings.view_colour":   "Show clearer views and pictures of matched media in colour (grey by default)",
		"view.not_video":         "Only video alerts have a keyframe strip.",
		"view.keyframes":         "Show blurred keyframes at the matched moments (fetched live, recorded)",
		"view.keyframes_alt":     "Blurred keyframes at the matched moments",
		"view.keyframes_caption": "Frames of the found video inside the stretches that match the registered video, blurred; never stored.",
		"view.clearer_alt":       "Clearer view", "view.full_alt": "The picture",
		"why.title":            "Why it matched",
		"why.distance":         "%d of %d bits of the two fingerprints differ (%s).",
		"why.threshold":        "An alert needs at most %d.",
		"why.threshold_wide":   "An alert needs at most %d, or up to %d when pHash and dHash agree closely as well.",
		"why.confidence":       "Confidence",
		"why.conf_exact":       "identical fingerprints: the same picture, saved again",
		"why.conf_high":        "very close: a copy with light edits such as re-compression or resizing",
		"why.conf_medium":      "close: likely an edited copy; compare the preview",
		"why.conf_low":         "beyond the usual threshold, raised because the other hashes agree too; look carefully",
		"why.views":            "The found picture matched %s; the registered picture %s.",
		"why.sightings":        "Sightings: %d, on %d pages; first %s, last %s.",
		"why.reported":         "A reported URL led to this alert.",
		"why.registered_image": "Registered side: case %s, registered %s, a %d×%d picture.",
		"why.registered_video": "Registered side: case %s, registered %s, a %d×%d video of %s.",
		"why.timeline":         "Where the registered video appears in the found one",
		"why.timeline_caption": "The found video (about %s), with the stretches that match the registered video",

		"view.original": "as it is", "view.trimmed": "with its plain borders trimmed", "view.mirror": "mirrored",
		"view.uncaptioned": "with its caption band at the %s cut", "view.uncaptioned_both": "with its caption bands at the top and bottom cut", "view.frames": "frame by frame", "view.frames_mirrored": "frame by frame, mirrored",
		"view.then": "%s, then %s", "view.turn": "turned %d°", "view.tilt": "tilted %s°",
		"view.straight": "straightened by %s° (turned, its empty corners cropped)",
		"view.crop_all": "with %d%% cut from every side", "view.crop_side": "with %d%% cut from the %s",
		"view.frame_at": "at its frame of %s",
		"view.half":     "only its %s half", "view.quarter": "only its quarter at the %s",
		"side.t": "top", "side.b": "bottom", "side.l": "left", "side.r": "right",
		"side.tl": "top-left corner", "side.tr": "top-right corner", "side.bl": "bottom-left corner", "side.br": "bottom-right corner",
	},
}

func init() {
	for lang, words := range reviewWords {
		for k, v := range words {
			if _, dup := catalog[lang][k]; dup {
				panic(fmt.Sprintf("messages: %s key %q defined twice", lang, k))
			}
			catalog[lang][k] = v
		}
	}
}
