package awsmodel

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

// Endpoint is a service's real AWS endpoint in one region.
type Endpoint struct {
	URL           string // e.g. "https://dynamodb.us-east-1.amazonaws.com"
	SigningName   string // SigV4 signing name, e.g. "dynamodb"
	SigningRegion string // SigV4 region; "us-east-1" for global services such as iam
	Partition     string // e.g. "aws", "aws-cn"
}

type partition struct {
	modelfile.Partition
	regionRx *regexp.Regexp
}

// Endpoint returns the standard (not FIPS, not dual-stack) endpoint of
// service id in region, from botocore's endpoints.json: global services
// (iam, route53, cloudfront) resolve to their partition endpoint
// (https://iam.amazonaws.com, signed for us-east-1). region must be a
// region of a partition, match a partition's region pattern, or be one of
// the service's named endpoints (such as "aws-global"); anything else is
// ErrUnknownRegion, so a client-chosen region cannot steer the host.
func (ix *Index) Endpoint(id, region string) (Endpoint, error) {
	s, ok := ix.services[id]
	if !ok {
		return Endpoint{}, fmt.Errorf("%w: no service %q", ErrUnknownService, id)
	}
	prefix := s.info.EndpointPrefix
	p, ok := ix.partitionFor(prefix, region)
	if !ok {
		return Endpoint{}, fmt.Errorf("%w: %q is not a region of any partition (service %s)", ErrUnknownRegion, region, id)
	}
	ps := p.Services[prefix]
	name := region
	if ps.NotRegionalized && ps.PartitionEndpoint != "" {
		name = ps.PartitionEndpoint
	}
	var def modelfile.Endpoint
	if ps.Defaults != nil {
		def = *ps.Defaults
	}
	e := ps.Endpoints[name]
	host := first(e.Hostname, def.Hostname, p.Hostname)
	host = strings.NewReplacer("{service}", prefix, "{region}", name, "{dnsSuffix}", p.DNSSuffix).Replace(host)
	if !isHostname(host) {
		return Endpoint{}, fmt.Errorf("%w: endpoint host %q for %s in %q is not a DNS name", ErrUnknownRegion, host, id, region)
	}
	return Endpoint{
		URL:           "https://" + host,
		SigningName:   first(e.SigningName, def.SigningName, s.info.SigningName),
		SigningRegion: first(e.SigningRegion, def.SigningRegion, region),
		Partition:     p.ID,
	}, nil
}

// partitionFor finds region's partition: one listing the region, then one
// whose service entry names it (e.g. "aws-global"), then a region pattern.
func (ix *Index) partitionFor(prefix, region string) (*partition, bool) {
	if !isServiceID(region) { // same alphabet: lower-case letters, digits, '-'
		return nil, false
	}
	for i := range ix.partitions {
		if _, ok := slices.BinarySearch(ix.partitions[i].Regions, region); ok {
			return &ix.partitions[i], true
		}
	}
	for i := range ix.partitions {
		if _, ok := ix.partitions[i].Services[prefix].Endpoints[region]; ok {
			return &ix.partitions[i], true
		}
	}
	for i := range ix.partitions {
		if ix.partitions[i].regionRx.MatchString(region) {
			return &ix.partitions[i], true
		}
	}
	return nil, false
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// isHostname reports whether h is a dotted sequence of DNS labels (no port,
// no user info, no path).
func isHostname(h string) bool {
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !isDNSLabel(l) {
			return false
		}
	}
	return true
}

// pseudoRegion reports whether region is not a region but one of service
// id's named endpoints ("aws-global", "fips-us-east-1", "us-east-1-fips",
// "s3-external-1"), and the region such a call runs in. A policy that
// judges the signed region ("us-east-1") would not see it: the call runs
// there all the same. SDKs sign with the real region.
func (ix *Index) pseudoRegion(id, region string) (runsIn string, pseudo bool) {
	if !isServiceID(region) {
		return "", false
	}
	for i := range ix.partitions {
		p := &ix.partitions[i]
		if _, ok := slices.BinarySearch(p.Regions, region); ok || p.regionRx.MatchString(region) {
			return "", false
		}
	}
	ep, err := ix.Endpoint(id, region)
	if err != nil {
		return "", false // not resolvable at all: nothing runs anywhere
	}
	return ep.SigningRegion, true
}
