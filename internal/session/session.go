package session

import "time"

// Principal is the OIDC identity a session was issued to.
type Principal struct {
	// Subject is the token's sub claim.
	Subject string `json:"s"`
	// Issuer is the token's iss claim.
	Issuer string `json:"i"`
	// Groups come from the issuer's configured groups claim; may be nil.
	Groups []string `json:"g,omitempty"`
	// Claims holds a few selected string claims (for example email or a
	// repository name); may be nil.
	Claims map[string]string `json:"c,omitempty"`
}

// Session is a set of jitgate credentials and the identity behind them.
type Session struct {
	// Principal is who the credentials were issued to.
	Principal Principal
	// AccessKeyID is the 20-character key id, "JGIA" followed by 16 base32
	// characters.
	AccessKeyID string
	// SecretAccessKey is the 40-character secret the agent signs with.
	SecretAccessKey string
	// RoleARN is the role the agent asked for in AssumeRoleWithWebIdentity.
	RoleARN string
	// SessionName is the RoleSessionName the agent gave.
	SessionName string
	// IssuedAt and Expires bound the session, in UTC, to the second.
	IssuedAt, Expires time.Time
}

// sealed is the plaintext inside a token. Short field names keep tokens small.
type sealed struct {
	Principal   Principal `json:"p"`
	AccessKeyID string    `json:"a"`
	Secret      string    `json:"k"`
	RoleARN     string    `json:"r"`
	SessionName string    `json:"n"`
	IssuedAt    int64     `json:"t"`
	Expires     int64     `json:"e"`
}

func (s Session) sealed() sealed {
	return sealed{
		Principal:   s.Principal,
		AccessKeyID: s.AccessKeyID,
		Secret:      s.SecretAccessKey,
		RoleARN:     s.RoleARN,
		SessionName: s.SessionName,
		IssuedAt:    s.IssuedAt.Unix(),
		Expires:     s.Expires.Unix(),
	}
}

func (p sealed) session() Session {
	return Session{
		Principal:       p.Principal,
		AccessKeyID:     p.AccessKeyID,
		SecretAccessKey: p.Secret,
		RoleARN:         p.RoleARN,
		SessionName:     p.SessionName,
		IssuedAt:        time.Unix(p.IssuedAt, 0).UTC(),
		Expires:         time.Unix(p.Expires, 0).UTC(),
	}
}
