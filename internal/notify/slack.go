package notify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jitgate/jitgate/schemas"
)

// Slack's limits on block text.
const (
	slackHeaderMax  = 150
	slackFieldMax   = 2000
	slackSectionMax = 3000
	slackMaxFields  = 10
)

// slackMessage is a Slack incoming-webhook body: text is the fallback shown
// in notifications, blocks the rich layout.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"` // header, section, context, divider
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

func mrkdwn(s string) slackText    { return slackText{Type: "mrkdwn", Text: s} }
func plainText(s string) slackText { return slackText{Type: "plain_text", Text: s} }

// slackBody renders msg for a Slack incoming webhook. Every value that came
// from an event is escaped, so an agent cannot inject mentions or links.
func slackBody(msg Notification) ([]byte, error) {
	blocks := []slackBlock{
		{Type: "header", Text: ptr(plainText(oneLine(slackTitle(msg), slackHeaderMax)))},
		{Type: "section", Text: ptr(mrkdwn(truncate(slackEscape(msg.Summary), slackSectionMax)))},
	}
	if f := slackFields(msg); len(f) > 0 {
		blocks = append(blocks, slackBlock{Type: "section", Fields: f})
	}
	if msg.Comment != "" {
		quoted := "> " + strings.ReplaceAll(slackEscape(msg.Comment), "\n", "\n> ")
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(mrkdwn(truncate(quoted, slackSectionMax)))})
	}
	if msg.ApproveCommand != "" {
		cmds := fmt.Sprintf("*Approve:* `%s`\n*Deny:* `%s`", msg.ApproveCommand, msg.DenyCommand)
		if msg.Gateway != "" {
			cmds += "\nGateway: " + slackEscape(msg.Gateway)
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(mrkdwn(cmds))})
	}
	ctx := fmt.Sprintf("request `%s` · %s · %s", slackEscape(oneLine(msg.RequestID, 128)), msg.Event, msg.Time.UTC().Format("2006-01-02 15:04:05Z"))
	blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{mrkdwn(ctx)}})

	body, err := json.Marshal(slackMessage{Text: slackEscape(msg.Summary), Blocks: blocks})
	if err != nil {
		return nil, fmt.Errorf("notify: encode slack body: %w", err)
	}
	return body, nil
}

func slackTitle(msg Notification) string {
	switch schemas.Type(msg.Event) {
	case schemas.TypeHoldOpened:
		if msg.Call != "" {
			return "Approval needed: " + msg.Call
		}
		return "Approval needed"
	case schemas.TypeHoldJustified:
		return "Justification added"
	case schemas.TypeApprovalGiven:
		return "Approval given"
	case schemas.TypeHoldApproved:
		return "Hold approved"
	case schemas.TypeHoldDenied:
		return "Hold denied"
	case schemas.TypeHoldExpired:
		return "Hold expired"
	}
	return msg.Event
}

// slackFields lists the hold's details as "*Label*\nvalue" fields.
func slackFields(msg Notification) []slackText {
	var out []slackText
	add := func(label, value string) {
		if value == "" || len(out) == slackMaxFields {
			return
		}
		out = append(out, mrkdwn(truncate("*"+label+"*\n"+slackEscape(value), slackFieldMax)))
	}
	add("Agent", msg.Agent)
	add("Call", msg.Call)
	add("Region", msg.Region)
	add("Resources", resourcesLine(msg.Resources))
	add("Parameters", strings.Join(msg.Params, ", "))
	add("Rule", msg.Rule)
	add("Reason", msg.Reason)
	if len(msg.Approvers) > 0 {
		add("Approvers", fmt.Sprintf("%d of %s", max(msg.Approvals, 1), strings.Join(msg.Approvers, ", ")))
	}
	if !msg.Expires.IsZero() && msg.Pending() {
		add("Expires", msg.Expires.UTC().Format("2006-01-02 15:04:05Z"))
	}
	add("Role", msg.Role)
	return out
}

// slackEscape escapes the three characters Slack's mrkdwn treats as control
// characters, which turns <!channel>, <@U123> and <url|label> into text.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func ptr[T any](v T) *T { return &v }
