package messages

// operatorWords are the words added for the operators' day's last part
// (issue 15): the site bounds a pass reached, and undoing a decision.
var operatorWords = map[string]map[string]string{
	"ko": {
		"sites.limits_hit":               "도달한 제한",
		"sites.limit.max_pages":          "max_pages: 페이지 수 제한에 도달해 나머지 대기열을 버렸습니다",
		"sites.limit.max_pass_duration":  "max_pass_duration: 크롤링 시간 제한에 도달해 나머지 대기열을 버렸습니다",
		"sites.limit.max_links_per_page": "max_links_per_page: 링크 수 제한으로 페이지 %d개를 일부만 따라갔습니다",

		"undo.button": "실행 취소", "undo.key": "(u)",
		"done.undone": "결정을 취소했습니다.", "done.undone_n": "결정 %d건을 취소하고 이전 상태로 되돌렸습니다.",
		"undo.refused_nothing":    "알림 #%d에는 취소할 결정이 없습니다(결정하지 않았거나 이미 취소했습니다).",
		"undo.refused_expired":    "알림 #%d의 결정은 %d분이 지나 더 이상 취소할 수 없습니다.",
		"undo.refused_followed":   "알림 #%d은(는) 결정 후 되돌릴 수 없는 일이 있었습니다(삭제 요청 발송, 삭제 확인 또는 사건 철회). 결정을 취소할 수 없습니다.",
		"undo.refused_other_user": "알림 #%d은(는) %s 님이 결정했습니다. 결정한 사람이나 관리자만 취소할 수 있습니다.",
		"undo.refused_many":       "결정 %d건(전체 %d건)을 취소할 수 없어 아무것도 취소하지 않았습니다.",
		"undo.refused_api":        "결정 %d건(전체 %d건)을 취소할 수 없어 아무것도 취소하지 않았습니다.",
	},
	"en": {
		"sites.limits_hit":               "Limits reached",
		"sites.limit.max_pages":          "max_pages: the page limit was reached and the rest of the queue dropped",
		"sites.limit.max_pass_duration":  "max_pass_duration: the time limit was reached and the rest of the queue dropped",
		"sites.limit.max_links_per_page": "max_links_per_page: %d pages had more links than followed",

		"undo.button": "Undo", "undo.key": "(u)",
		"done.undone": "Decision undone.", "done.undone_n": "Decisions undone: %d; the alerts are as they were before.",
		"undo.refused_nothing":    "Alert #%d has no decision to undo (never decided, or undone already).",
		"undo.refused_expired":    "Alert #%d was decided more than %d minutes ago; the decision can no longer be undone.",
		"undo.refused_followed":   "Something that cannot be taken back followed the decision on alert #%d (a notice sent, removal found or the case withdrawn); it can no longer be undone.",
		"undo.refused_other_user": "Alert #%d was decided by %s; only they or an admin can undo it.",
		"undo.refused_many":       "%d of %d decisions cannot be undone, so none was.",
		"undo.refused_api":        "%d of %d decisions cannot be undone, so none was.",
	},
}

func init() {
	for lang, words := range operatorWords {
		for k, v := range words {
			if _, dup := catalog[lang][k]; dup {
				panic("messages: " + lang + " key " + k + " defined twice")
			}
			catalog[lang][k] = v
		}
	}
}
