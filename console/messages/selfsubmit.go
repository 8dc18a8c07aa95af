package messages

import "fmt"

// The words of victims' self-submission (issue 16): the public /submit
// page, its refusals, issuing and revoking a PIN on the cases page, and
// the centres' setting on the users page. They join the
// catalog once, when the program starts; a key defined twice stops it
// there.
var selfSubmitWords = map[string]map[string]string{
	"ko": {
		"submit.title":  "내 사진의 지문 직접 등록",
		"submit.intro":  "상담원에게 받은 사건 번호와 PIN을 입력하고 사진·동영상을 고르세요. 지문(해시)은 이 기기의 브라우저에서 계산되며, 사진과 동영상은 이 기기를 떠나지 않습니다. 서버로는 지문만 전송됩니다.",
		"submit.centre": "센터", "submit.case": "사건 번호", "submit.pin": "PIN", "submit.files": "사진·동영상",
		"submit.button": "지문 등록", "submit.hashing": "이 기기에서 지문 계산 중…",
		"submit.hashed":         "이 기기에서 해시함: 지문만 전송됨",
		"submit.refused":        "이 브라우저에서 해시할 수 없어 보내지 않았습니다. 파일은 어디에도 전송되지 않았습니다. 다른 브라우저를 쓰거나 상담원에게 문의하세요.",
		"submit.no_wasm":        "이 서버에서는 브라우저 해시를 사용할 수 없어 직접 등록할 수 없습니다. 상담원에게 문의하세요.",
		"submit.done":           "지문 %d개를 사건에 등록했습니다.",
		"submit.withdraw_title": "등록 철회", "submit.withdraw_intro": "같은 사건 번호와 PIN으로 사건 전체를 철회할 수 있습니다. 사건의 모든 지문(상담원이 등록한 것 포함)이 즉시 삭제되며 되돌릴 수 없습니다.",
		"submit.withdraw": "사건 철회", "submit.withdrawn": "사건을 철회했습니다. 지문 %d개를 삭제했습니다.",
		"submit.off":       "이 센터는 직접 등록을 사용하지 않습니다.",
		"submit.off_staff": "이 센터는 피해자 직접 등록을 켜지 않았습니다. 관리자가 켜야 PIN을 발급할 수 있습니다.",
		"submit.wrong":     "사건 번호 또는 PIN이 올바르지 않습니다.",
		"submit.expired":   "PIN이 만료되었습니다. 상담원에게 새 PIN을 요청하세요.",
		"submit.locked":    "잘못된 PIN이 너무 많이 입력되어 이 PIN은 잠겼습니다. 상담원에게 새 PIN을 요청하세요.",
		"submit.too_many":  "시도가 너무 많습니다. %s 이후에 다시 시도하세요.",
		"submit.lang":      "English",

		"cases.pin": "피해자 PIN 발급", "cases.pin_days": "유효 기간(일)",
		"cases.pin_issued": "사건 %s의 PIN: %s (%s까지 유효). 지금 한 번만 표시됩니다. 피해자에게 사건 번호와 함께 전달하세요. 주소: /submit",
		"cases.pin_revoke": "PIN 폐기", "done.pin_revoked": "PIN을 폐기했습니다. 이 PIN으로는 더 이상 등록하거나 철회할 수 없습니다.",

		"users.self_submit":      "피해자 직접 등록",
		"users.self_submit_note": "켜면 센터 직원이 사건에 PIN을 발급할 수 있고, 피해자는 /submit에서 PIN으로 자기 사건에 지문을 등록하거나 사건을 철회할 수 있습니다. 끄면 모든 등록과 철회가 즉시 거부되며, 이미 발급한 PIN은 보관되어 다시 켜면 다시 유효합니다.",
		"users.self_submit_on":   "켜짐", "users.self_submit_off": "꺼짐",
		"users.self_submit_turn_on": "켜기", "users.self_submit_turn_off": "끄기",
		"done.self_submit_on": "피해자 직접 등록을 켰습니다.", "done.self_submit_off": "피해자 직접 등록을 껐습니다.",
	},
	"en": {
		"submit.title":  "Register fingerprints of your pictures yourself",
		"submit.intro":  "Enter the case number and PIN your counsellor gave you, then choose pictures or videos. Their fingerprints (hashes) are computed in this device's browser; the pictures and videos never leave this device. Only fingerprints are sent.",
		"submit.centre": "Centre", "submit.case": "Case number", "submit.pin": "PIN", "submit.files": "Pictures and videos",
		"submit.button": "Register fingerprints", "submit.hashing": "Fingerprinting on this device…",
		"submit.hashed":         "hashed on this device: only the fingerprint was sent",
		"submit.refused":        "this browser cannot hash it, so it was not sent; the file went nowhere. Try another browser or ask your counsellor.",
		"submit.no_wasm":        "Hashing in the browser is not available on this server, so self-submission cannot be used. Please ask your counsellor.",
		"submit.done":           "%d fingerprint(s) added to the case.",
		"submit.withdraw_title": "Withdraw", "submit.withdraw_intro": "With the same case number and PIN you can withdraw the whole case: all its fingerprints (those your counsellor registered too) are deleted at once. This cannot be undone.",
		"submit.withdraw": "Withdraw the case", "submit.withdrawn": "The case was withdrawn; %d fingerprint(s) deleted.",
		"submit.off":       "This centre does not take self-submissions.",
		"submit.off_staff": "Your centre has not turned on self-submission by victims; an admin must turn it on before a PIN can be issued.",
		"submit.wrong":     "Wrong case number or PIN.",
		"submit.expired":   "The PIN has expired. Ask your counsellor for a new one.",
		"submit.locked":    "Too many wrong PINs: this PIN is locked. Ask your counsellor for a new one.",
		"submit.too_many":  "Too many attempts. Try again after %s.",
		"submit.lang":      "한국어",

		"cases.pin": "Issue a PIN for the victim", "cases.pin_days": "Valid for (days)",
		"cases.pin_issued": "PIN for case %s: %s (valid until %s). It is shown only now: give it to the victim with the case number. Address: /submit",
		"cases.pin_revoke": "Revoke the PIN", "done.pin_revoked": "The PIN was revoked: it no longer adds fingerprints or withdraws the case.",

		"users.self_submit":      "Self-submission by victims",
		"users.self_submit_note": "When on, the centre's staff can issue a case a PIN, with which the victim adds fingerprints to their own case or withdraws it on /submit. Turning it off refuses every submission and withdrawal at once; PINs already issued are kept and work again if it is turned back on.",
		"users.self_submit_on":   "on", "users.self_submit_off": "off",
		"users.self_submit_turn_on": "Turn on", "users.self_submit_turn_off": "Turn off",
		"done.self_submit_on": "Self-submission by victims is on.", "done.self_submit_off": "Self-submission by victims is off.",
	},
}

func init() {
	for lang, words := range selfSubmitWords {
		for k, v := range words {
			if _, dup := catalog[lang][k]; dup {
				panic(fmt.Sprintf("messages: %s key %q defined twice", lang, k))
			}
			catalog[lang][k] = v
		}
	}
}
