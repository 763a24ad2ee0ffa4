package main

import (
	"sort"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

// endpoints.json, only the parts we read. Variants (fips, dualstack) are
// dropped: the executor talks to the standard endpoint.
type endpointsJSON struct {
	Partitions []struct {
		Partition   string `json:"partition"`
		DNSSuffix   string `json:"dnsSuffix"`
		RegionRegex string `json:"regionRegex"`
		Defaults    struct {
			Hostname string `json:"hostname"`
		} `json:"defaults"`
		Regions  map[string]any `json:"regions"`
		Services map[string]struct {
			PartitionEndpoint string                   `json:"partitionEndpoint"`
			IsRegionalized    *bool                    `json:"isRegionalized"`
			Defaults          *endpointJSON            `json:"defaults"`
			Endpoints         map[string]*endpointJSON `json:"endpoints"`
		} `json:"services"`
	} `json:"partitions"`
}

type endpointJSON struct {
	Hostname        string `json:"hostname"`
	CredentialScope struct {
		Region  string `json:"region"`
		Service string `json:"service"`
	} `json:"credentialScope"`
}

func (e *endpointJSON) reduce() (modelfile.Endpoint, bool) {
	if e == nil {
		return modelfile.Endpoint{}, false
	}
	if strings.ContainsAny(e.Hostname, ":/@") || strings.HasPrefix(e.Hostname, "localhost") {
		return modelfile.Endpoint{}, false // DynamoDB's "local" endpoint is not AWS
	}
	out := modelfile.Endpoint{Hostname: e.Hostname, SigningRegion: e.CredentialScope.Region, SigningName: e.CredentialScope.Service}
	return out, out != modelfile.Endpoint{}
}

func readEndpoints(name string) ([]modelfile.Partition, error) {
	var ej endpointsJSON
	if _, err := readJSON(name, &ej); err != nil {
		return nil, err
	}
	var parts []modelfile.Partition
	for _, p := range ej.Partitions {
		mp := modelfile.Partition{
			ID:          p.Partition,
			DNSSuffix:   p.DNSSuffix,
			RegionRegex: p.RegionRegex,
			Hostname:    p.Defaults.Hostname,
			Services:    map[string]modelfile.PartitionService{},
		}
		for r := range p.Regions {
			mp.Regions = append(mp.Regions, r)
		}
		sort.Strings(mp.Regions)
		for prefix, s := range p.Services {
			ps := modelfile.PartitionService{
				PartitionEndpoint: s.PartitionEndpoint,
				NotRegionalized:   s.IsRegionalized != nil && !*s.IsRegionalized,
			}
			if d, ok := s.Defaults.reduce(); ok {
				ps.Defaults = &d
			}
			for r, e := range s.Endpoints {
				if re, ok := e.reduce(); ok {
					if ps.Endpoints == nil {
						ps.Endpoints = map[string]modelfile.Endpoint{}
					}
					ps.Endpoints[r] = re
				}
			}
			mp.Services[prefix] = ps
		}
		parts = append(parts, mp)
	}
	return parts, nil
}
