package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/urfave/cli/v2"
)

// runDevEnv trades a dev token for jitgate credentials through the
// gateway's own AssumeRoleWithWebIdentity, the way an agent would, and
// prints the exports stock AWS clients read.
func runDevEnv(c *cli.Context) error {
	dir := c.String("data-dir")
	agent := c.String("agent")
	tok, st, err := devToken(dir, agent, c.String("groups"), time.Hour)
	if err != nil {
		return err
	}
	tokenFile := filepath.Join(dir, "token-"+agent)
	if err := os.WriteFile(tokenFile, []byte(tok), 0o600); err != nil {
		return err
	}
	client := awssts.New(awssts.Options{Region: st.Region, BaseEndpoint: aws.String(st.Endpoint), Credentials: aws.AnonymousCredentials{}})
	out, err := client.AssumeRoleWithWebIdentity(c.Context, &awssts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(devRoleARN), RoleSessionName: aws.String(agent), WebIdentityToken: aws.String(tok),
		DurationSeconds: aws.Int32(3600),
	})
	if err != nil {
		return fmt.Errorf("exchanging the dev token at %s: %w (is `jitgate dev` running?)", st.Endpoint, err)
	}
	endpoint := st.Endpoint
	w := c.App.Writer
	if st.HTTPSEndpoint != "" && !c.Bool("http") {
		endpoint = st.HTTPSEndpoint
		fmt.Fprintf(w, "export AWS_CA_BUNDLE=%q\n", st.CABundle)
	}
	cr := out.Credentials
	fmt.Fprintf(w, "export AWS_ENDPOINT_URL=%q\n", endpoint)
	fmt.Fprintf(w, "export AWS_REGION=%q AWS_DEFAULT_REGION=%q\n", st.Region, st.Region)
	fmt.Fprintf(w, "export AWS_ACCESS_KEY_ID=%q\n", aws.ToString(cr.AccessKeyId))
	fmt.Fprintf(w, "export AWS_SECRET_ACCESS_KEY=%q\n", aws.ToString(cr.SecretAccessKey))
	fmt.Fprintf(w, "export AWS_SESSION_TOKEN=%q\n", aws.ToString(cr.SessionToken))
	fmt.Fprintf(w, "unset AWS_PROFILE AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE\n")
	fmt.Fprintf(w, "# jitgate session for %s (groups %s) until %s; OIDC token in %s\n",
		agent, c.String("groups"), aws.ToTime(cr.Expiration).UTC().Format(time.RFC3339), tokenFile)
	return nil
}
