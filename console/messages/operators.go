package messages

// operatorWords are the words added for the operators' day's last part
// (issue 15): the site bounds a pass reached, and undoing a decision.
var operatorWords = map[string]map[string]string{
	"ko": {
		"sites.limits_hit":               "도달한 제한",
		"sites.limit.max_pages":          "max_pages: 페이지 수 제한에 도달해 나머지 대기열을 버렸습니다",
		"sites.limit.max_pass_duration":  "max_pass_duration: 크롤링 시간 제한에 도달해 나머지 대기열을 버렸습니다",
		"sites.limit.max_links_per_page": "max_links_per_page: 링크 수 제한으로 페이지 %d개를 일부만 따라갔습니다",
	},
	"en": {
		"sites.limits_hit":               "Limits reached",
		"sites.limit.max_pages":          "max_pages: the page limit was reached and the rest of the queue dropped",
		"sites.limit.max_pass_duration":  "max_pass_duration: the time limit was reached and the rest of the queue dropped",
		"sites.limit.max_links_per_page": "max_links_per_page: %d pages had more links than followed",
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
