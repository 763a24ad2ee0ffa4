package cluster

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/jitgate/jitgate/internal/devissuer"
)

// startIssuer serves the cluster's OIDC issuer on a loopback port.
func (c *Cluster) startIssuer() error {
	mux := http.NewServeMux()
	srv, base, err := serve(mux)
	if err != nil {
		return err
	}
	issuer, err := devissuer.New(base + "/oidc")
	if err != nil {
		_ = srv.Close()
		return err
	}
	mux.Handle("/oidc/", http.StripPrefix("/oidc", issuer))
	c.issuer, c.issuerSrv = issuer, srv
	return nil
}

// Issuer is the cluster's OIDC issuer.
func (c *Cluster) Issuer() *devissuer.Issuer { return c.issuer }

// Token mints an OIDC token for subject in groups with the agents'
// audience: what an approver passes as a bearer token, or an agent
// exchanges for credentials.
func (c *Cluster) Token(subject string, groups []string, ttl time.Duration) (string, error) {
	return c.issuer.Mint(subject, groups, c.cfg.Audience, ttl)
}

// AgentCredentials exchanges a fresh token for subject at the first
// ingress's AssumeRoleWithWebIdentity, as an agent does, for a one-hour
// session.
func (c *Cluster) AgentCredentials(ctx context.Context, subject string, groups []string) (aws.Credentials, error) {
	tok, err := c.Token(subject, groups, 2*time.Hour)
	if err != nil {
		return aws.Credentials{}, err
	}
	client := awssts.New(awssts.Options{Region: DefaultRegion, BaseEndpoint: aws.String(c.Endpoint()), Credentials: aws.AnonymousCredentials{}})
	out, err := client.AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(c.cfg.RoleARN), RoleSessionName: aws.String(subject), WebIdentityToken: aws.String(tok),
		DurationSeconds: aws.Int32(3600)})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("cluster: AssumeRoleWithWebIdentity at %s: %w", c.Endpoint(), err)
	}
	cr := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(cr.AccessKeyId), SecretAccessKey: aws.ToString(cr.SecretAccessKey),
		SessionToken: aws.ToString(cr.SessionToken), Source: "jitgate"}, nil
}
