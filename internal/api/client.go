package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls the approver API of one gateway.
type Client struct {
	// Endpoint is the gateway's base URL, e.g. https://gateway:8443.
	Endpoint string
	// Token is the caller's OIDC token.
	Token string
	HTTP  *http.Client
}

// Error is an error answer from the gateway.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Endpoint, "/")+Prefix+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the gateway at %s: %w (check --endpoint or JITGATE_ENDPOINT)", c.Endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var eb ErrorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Message != "" {
			return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return &Error{Status: resp.StatusCode, Code: "HTTP", Message: fmt.Sprintf("gateway answered %s: %s", resp.Status, strings.TrimSpace(string(raw)))}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Pending lists the holds awaiting a decision.
func (c *Client) Pending(ctx context.Context) ([]Hold, error) {
	var out Holds
	err := c.do(ctx, http.MethodGet, "/holds", nil, &out)
	return out.Holds, err
}

// Hold returns one hold with its timeline.
func (c *Client) Hold(ctx context.Context, id string) (Hold, error) {
	var out Hold
	err := c.do(ctx, http.MethodGet, "/holds/"+url.PathEscape(id), nil, &out)
	return out, err
}

// Approve approves a hold.
func (c *Client) Approve(ctx context.Context, id string, in ApproveRequest) (Hold, error) {
	var out Hold
	err := c.do(ctx, http.MethodPost, "/holds/"+url.PathEscape(id)+"/approve", in, &out)
	return out, err
}

// Deny denies a hold.
func (c *Client) Deny(ctx context.Context, id string, in DenyRequest) (Hold, error) {
	var out Hold
	err := c.do(ctx, http.MethodPost, "/holds/"+url.PathEscape(id)+"/deny", in, &out)
	return out, err
}

// Justify attaches the requester's justification to its hold.
func (c *Client) Justify(ctx context.Context, id string, in JustifyRequest) (Hold, error) {
	var out Hold
	err := c.do(ctx, http.MethodPost, "/holds/"+url.PathEscape(id)+"/justify", in, &out)
	return out, err
}

// Grants lists active grants.
func (c *Client) Grants(ctx context.Context) ([]Grant, error) {
	var out Grants
	err := c.do(ctx, http.MethodGet, "/grants", nil, &out)
	return out.Grants, err
}

// Revoke closes a grant.
func (c *Client) Revoke(ctx context.Context, id string, in RevokeRequest) (Grant, error) {
	var out Grant
	err := c.do(ctx, http.MethodPost, "/grants/"+url.PathEscape(id)+"/revoke", in, &out)
	return out, err
}

// Whoami returns the caller's identity as the gateway sees it.
func (c *Client) Whoami(ctx context.Context) (Whoami, error) {
	var out Whoami
	err := c.do(ctx, http.MethodGet, "/whoami", nil, &out)
	return out, err
}
