package notify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jitgate/jitgate/schemas"
)

// maxSummaryText bounds free text (reasons, justifications) quoted in a
// summary; the full text stays in Comment.
const maxSummaryText = 300

// summary renders msg as one line of plain text.
func summary(msg Notification) string {
	var b strings.Builder
	subject := subjectOf(msg)
	switch schemas.Type(msg.Event) {
	case schemas.TypeHoldOpened:
		fmt.Fprintf(&b, "Approval needed: %s", subject)
		if msg.Rule != "" {
			fmt.Fprintf(&b, "; held by rule %s", oneLine(msg.Rule, maxSummaryText))
		}
		if msg.Reason != "" {
			fmt.Fprintf(&b, ": %s", oneLine(msg.Reason, maxSummaryText))
		}
		b.WriteString(". ")
		b.WriteString(termsLine(msg))
	case schemas.TypeHoldJustified:
		fmt.Fprintf(&b, "%s justified %s: %q", actor(msg.By), subject, oneLine(msg.Comment, maxSummaryText))
	case schemas.TypeApprovalGiven:
		fmt.Fprintf(&b, "%s approved %s", actor(msg.By), subject)
		if msg.Approvals > 1 {
			fmt.Fprintf(&b, " (%d approvals needed in all)", msg.Approvals)
		}
		if msg.Comment != "" {
			fmt.Fprintf(&b, ": %q", oneLine(msg.Comment, maxSummaryText))
		}
	case schemas.TypeHoldApproved:
		fmt.Fprintf(&b, "Approved: %s", subject)
		if len(msg.ApprovedBy) > 0 {
			fmt.Fprintf(&b, " by %s", oneLine(strings.Join(msg.ApprovedBy, ", "), maxSummaryText))
		}
		if msg.GrantID != "" {
			fmt.Fprintf(&b, "; grant %s opened, the agent may retry", oneLine(msg.GrantID, 128))
		}
	case schemas.TypeHoldDenied:
		fmt.Fprintf(&b, "Denied: %s by %s", subject, actor(msg.By))
		if msg.Comment != "" {
			fmt.Fprintf(&b, ": %q", oneLine(msg.Comment, maxSummaryText))
		}
	case schemas.TypeHoldExpired:
		fmt.Fprintf(&b, "Expired: %s; nobody decided in time, so the call was denied", subject)
	}
	return b.String()
}

// subjectOf names the held call: "s3:DeleteBucket by agent in region on
// Bucket=x (request ID)", or just the request when the hold is unknown.
func subjectOf(msg Notification) string {
	id := "request " + oneLine(msg.RequestID, 128)
	if msg.Call == "" {
		return id
	}
	var b strings.Builder
	b.WriteString(oneLine(msg.Call, 128))
	if msg.Agent != "" {
		fmt.Fprintf(&b, " by %s", oneLine(msg.Agent, 128))
	}
	if msg.Region != "" {
		fmt.Fprintf(&b, " in %s", oneLine(msg.Region, 64))
	}
	if r := resourcesLine(msg.Resources); r != "" {
		fmt.Fprintf(&b, " on %s", r)
	}
	fmt.Fprintf(&b, " (%s)", id)
	return b.String()
}

// resourcesLine renders resources as "Bucket=a, TableName=b", sorted.
func resourcesLine(res map[string]string) string {
	parts := make([]string, 0, len(res))
	for _, k := range slices.Sorted(maps.Keys(res)) {
		parts = append(parts, k+"="+oneLine(res[k], maxResourceLen))
	}
	return strings.Join(parts, ", ")
}

// termsLine says who may decide, how many must, and by when.
func termsLine(msg Notification) string {
	var b strings.Builder
	n := max(msg.Approvals, 1)
	fmt.Fprintf(&b, "Needs %d approval", n)
	if n > 1 {
		b.WriteString("s")
	}
	if len(msg.Approvers) > 0 {
		fmt.Fprintf(&b, " from %s", oneLine(strings.Join(msg.Approvers, ", "), maxSummaryText))
	}
	if !msg.Expires.IsZero() {
		fmt.Fprintf(&b, " before %s", msg.Expires.UTC().Format(time.RFC3339))
	}
	b.WriteString(".")
	if msg.RequireJustification {
		b.WriteString(" The requester must justify it first.")
	}
	return b.String()
}

func actor(by string) string {
	if by == "" {
		return "someone"
	}
	return oneLine(by, 128)
}

// oneLine collapses whitespace runs (newlines included) to single spaces
// and bounds the length.
func oneLine(s string, n int) string {
	return truncate(strings.Join(strings.Fields(s), " "), n)
}
