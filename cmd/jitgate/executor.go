package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/urfave/cli/v2"

	"github.com/jitgate/jitgate/executor"
	"github.com/jitgate/jitgate/internal/awsmodel"
	"github.com/jitgate/jitgate/internal/bus"
	"github.com/jitgate/jitgate/schemas"
)

func executorFlags() []cli.Flag {
	return []cli.Flag{
		instanceFlag("executor"), decisionKeyFlag(),
		&cli.StringFlag{Name: "upstream", Usage: "send every call to this base URL (an AWS emulator) instead of the real AWS endpoints", EnvVars: []string{"JITGATE_UPSTREAM"}},
		&cli.StringSliceFlag{Name: "upstream-services", Usage: "with --upstream: the botocore service ids the upstream implements; calls for other services are refused (default: any)", EnvVars: []string{"JITGATE_UPSTREAM_SERVICES"}},
		&cli.DurationFlag{Name: "timeout", Value: 60 * time.Second, Usage: "per upstream call", EnvVars: []string{"JITGATE_UPSTREAM_TIMEOUT"}},
		&cli.DurationFlag{Name: "max-wait", Value: executor.DefaultMaxWait, Usage: "the longest --wait of any ingress: how long started request ids are remembered to refuse replayed decisions", EnvVars: []string{"JITGATE_MAX_WAIT"}},
		&cli.BoolFlag{Name: "assume-session-role", Usage: "assume the RoleArn the agent named in AssumeRoleWithWebIdentity for its calls (needs --allowed-roles)", EnvVars: []string{"JITGATE_ASSUME_SESSION_ROLE"}},
		allowedRolesFlag("the only roles the executor assumes (a rule's role, or the session's with --assume-session-role)"),
	}
}

func executorCommand() *cli.Command {
	return roleCommand("executor", "re-sign allowed calls with the gateway's AWS credentials and send them", executorFlags(), func(c *cli.Context) error {
		bcfg, err := busConfig(c, "executor")
		if err != nil {
			return err
		}
		key, err := decisionKey(c)
		if err != nil {
			return err
		}
		roles, err := allowedRoles(c)
		if err != nil {
			return err
		}
		awsCfg, err := config.LoadDefaultConfig(c.Context)
		if err != nil {
			return fmt.Errorf("loading the gateway's AWS credentials (default chain): %w", err)
		}
		e, err := buildExecutor(c.Context, executor.Config{Bus: bcfg, Instance: c.String("instance"), DecisionKey: key,
			Upstream: c.String("upstream"), UpstreamServices: c.StringSlice("upstream-services"), Timeout: c.Duration("timeout"), MaxWait: c.Duration("max-wait"), AssumeSessionRole: c.Bool("assume-session-role"), AllowedRoles: roles},
			awsCfg.Credentials, c)
		if err != nil {
			return err
		}
		return e.Run(c.Context)
	})
}

func buildExecutor(ctx context.Context, cfg executor.Config, creds aws.CredentialsProvider, c *cli.Context) (*executor.Executor, error) {
	if err := bus.EnsureTopics(ctx, cfg.Bus); err != nil {
		return nil, err
	}
	models, err := awsmodel.Load()
	if err != nil {
		return nil, err
	}
	return executor.New(cfg, executor.Deps{Credentials: creds, Endpoints: endpoints{models}, Logger: logger(c)})
}

// endpoints adapts the model index to the executor's endpoint table.
type endpoints struct{ ix *awsmodel.Index }

func (e endpoints) Endpoint(service, region string) (executor.Endpoint, error) {
	ep, err := e.ix.Endpoint(service, region)
	if err != nil {
		return executor.Endpoint{}, err
	}
	return executor.Endpoint{URL: ep.URL, SigningName: ep.SigningName, SigningRegion: ep.SigningRegion}, nil
}

// UpstreamService implements executor.UpstreamRouter: the request as
// received, identified with every service of its signing name a candidate,
// as one upstream host serving every service reads it.
func (e endpoints) UpstreamService(r *schemas.RequestReceived) (string, string, error) {
	h := r.HTTP
	u := &url.URL{Path: h.Path, RawQuery: h.RawQuery}
	if p, err := url.PathUnescape(h.Path); err == nil {
		u.Path, u.RawPath = p, h.Path
	}
	req := &http.Request{Method: h.Method, URL: u, Header: schemas.HTTPHeader(h.Headers)}
	op, err := e.ix.Identify(req, h.Body, awsmodel.Hint{SigningName: r.SigningName, Region: r.Region})
	if err != nil {
		return "", "", err
	}
	return op.Service, op.Name, nil
}
