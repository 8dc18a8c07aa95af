package messages

import "testing"

func TestKoreanJosaFollowsTheFinalConsonant(t *testing.T) {
	tests := []struct{ word, particle, want string }{
		{"사건", "은/는", "사건은"},
		{"사이트", "은/는", "사이트는"},
		{"알림", "이/가", "알림이"},
		{"모니터", "이(가)", "모니터가"},
		{"서울", "(으)로", "서울로"}, // ㄹ takes 로
		{"부산항", "으로", "부산항으로"},
		{"hashwatch", "은(는)", "hashwatch는"},
		{"admin", "을/를", "admin을"},
		{"email", "(으)로", "email로"},
		{"chat", "이/가", "chat이"},
		{"#12", "을/를", "#12를"},
		{"#1", "을/를", "#1을"},
		{"#3", "과/와", "#3과"},
		{"'확인됨'", "(으)로", "'확인됨'으로"},
		{"★", "은/는", "★은(는)"}, // unreadable: both forms kept
		{"사건", "에서", "사건에서"},  // not a pair: as given
	}
	for _, tt := range tests {
		if got := Josa(tt.word, tt.particle); got != tt.want {
			t.Errorf("Josa(%q, %q) = %q, want %q", tt.word, tt.particle, got, tt.want)
		}
	}
}

func TestKoreanMessagesResolveTheirParticlePairs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"알림 #12을(를) 확인했습니다.", "알림 #12를 확인했습니다."},
		{"알림 #7을(를) 기각했습니다.", "알림 #7을 기각했습니다."},
		{"현재 '신규' 상태라서 '확인됨'(으)로 바꿀 수 없습니다.", "현재 '신규' 상태라서 '확인됨'으로 바꿀 수 없습니다."},
		{"hashwatch은(는) 사이트 board과(와) forum이(가) 있습니다", "hashwatch는 사이트 board와 forum이 있습니다"},
		{"괄호 없는 문장", "괄호 없는 문장"},
	}
	for _, tt := range tests {
		if got := FixJosa(tt.in); got != tt.want {
			t.Errorf("FixJosa(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
