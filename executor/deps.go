package executor

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Endpoint is a service's upstream in one region, as the executor's own
// endpoint table knows it.
type Endpoint struct {
	URL           string // e.g. "https://iam.amazonaws.com"
	SigningName   string // SigV4 signing name, e.g. "iam"
	SigningRegion string // SigV4 region, e.g. "us-east-1" for global services
}

// Endpoints resolves a botocore service id and region to an Endpoint. It
// must refuse regions that are not AWS regions: the region comes from the
// agent's request.
type Endpoints interface {
	Endpoint(service, region string) (Endpoint, error)
}

// EndpointsFunc adapts a function to Endpoints.
type EndpointsFunc func(service, region string) (Endpoint, error)

// Endpoint implements Endpoints.
func (f EndpointsFunc) Endpoint(service, region string) (Endpoint, error) { return f(service, region) }

// Deps are the executor's collaborators.
type Deps struct {
	// Credentials are the gateway's own AWS credentials. Required.
	Credentials aws.CredentialsProvider
	// Endpoints is the endpoint table. Required unless Config.Upstream is
	// set; with Upstream it only supplies signing names and regions.
	Endpoints Endpoints
	// HTTPClient sends upstream calls. Default: a client with its own
	// transport. Redirects are never followed whatever the client says.
	HTTPClient *http.Client
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// AssumeRole returns a credentials provider for a role. The executor
	// calls it once per role and caches the provider (wrapped in an
	// aws.CredentialsCache, so credentials are reused until they expire).
	// Default: stscreds.NewAssumeRoleProvider on an STS client that signs
	// with Credentials (and goes to Config.Upstream when set).
	AssumeRole func(ctx context.Context, roleARN string) aws.CredentialsProvider
}
