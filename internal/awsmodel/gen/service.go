package main

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

// botocore service-2.json, only the parts we read.
type model struct {
	Metadata struct {
		APIVersion     string   `json:"apiVersion"`
		EndpointPrefix string   `json:"endpointPrefix"`
		SigningName    string   `json:"signingName"`
		Protocol       string   `json:"protocol"`
		Protocols      []string `json:"protocols"`
		TargetPrefix   string   `json:"targetPrefix"`
		JSONVersion    string   `json:"jsonVersion"`
		GlobalEndpoint string   `json:"globalEndpoint"`
		// AWSQueryCompatible marks services that moved from the query
		// protocol to JSON and still accept query requests (SQS).
		AWSQueryCompatible *struct{} `json:"awsQueryCompatible"`
	} `json:"metadata"`
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Input      *struct{ Shape string } `json:"input"`
		Output     *struct{ Shape string } `json:"output"`
		Deprecated bool                    `json:"deprecated"`
		Endpoint   *struct {
			HostPrefix string `json:"hostPrefix"`
		} `json:"endpoint"`
	} `json:"operations"`
	Shapes map[string]shape `json:"shapes"`
}

type shape struct {
	Type     string   `json:"type"`
	Required []string `json:"required"`
	Payload  string   `json:"payload"`
	Members  map[string]struct {
		Shape        string `json:"shape"`
		Location     string `json:"location"`
		LocationName string `json:"locationName"`
		// QueryName is the EC2 protocol's own wire name for a member.
		QueryName string `json:"queryName"`
		// IdempotencyToken marks the member SDKs fill with a fresh token
		// when the caller leaves it empty, so that AWS runs a request
		// sent twice once.
		IdempotencyToken bool `json:"idempotencyToken"`
	} `json:"members"`
	// Sensitive is botocore's trait for values that must not be logged or
	// shown (passwords, keys, tokens, personal data).
	Sensitive bool      `json:"sensitive"`
	Member    *shapeRef `json:"member"` // list element
	Key       *shapeRef `json:"key"`    // map key
	Value     *shapeRef `json:"value"`  // map value
}

type shapeRef struct {
	Shape string `json:"shape"`
}

// readPrefixes are operation-name prefixes that mark an operation read-only.
var readPrefixes = []string{"Get", "List", "Describe", "Head", "Query", "Scan", "Select", "BatchGet", "Search", "Lookup"}

// readService reads the newest API version of the service in dir.
func readService(dir, id string) (modelfile.Service, bool, error) {
	vers, err := os.ReadDir(dir)
	if err != nil {
		return modelfile.Service{}, false, err
	}
	var names []string
	for _, v := range vers {
		if v.IsDir() {
			names = append(names, v.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // API versions are dates
	for _, v := range names {
		var m model
		ok, err := readJSON(filepath.Join(dir, v, "service-2.json"), &m)
		if err != nil {
			return modelfile.Service{}, false, err
		}
		if ok {
			return convert(id, &m), true, nil
		}
	}
	return modelfile.Service{}, false, nil
}

func convert(id string, m *model) modelfile.Service {
	md := m.Metadata
	s := modelfile.Service{ServiceMeta: modelfile.ServiceMeta{
		ID:             id,
		EndpointPrefix: md.EndpointPrefix,
		Protocols:      []string{md.Protocol},
		TargetPrefix:   md.TargetPrefix,
		JSONVersion:    md.JSONVersion,
		APIVersion:     md.APIVersion,
		GlobalEndpoint: md.GlobalEndpoint,
	}}
	if md.SigningName != "" && md.SigningName != md.EndpointPrefix {
		s.SigningName = md.SigningName
	}
	for _, p := range md.Protocols {
		if p != md.Protocol {
			s.Protocols = append(s.Protocols, p)
		}
	}
	if md.AWSQueryCompatible != nil && !slices.Contains(s.Protocols, "query") {
		s.Protocols = append(s.Protocols, "query")
	}
	rest := md.Protocol == "rest-json" || md.Protocol == "rest-xml"

	for name, o := range m.Operations {
		op := modelfile.Op{Name: name}
		method := o.HTTP.Method
		if method == "" {
			method = "POST"
		}
		op.ReadOnly = readOnly(name, method)
		op.Deprecated = o.Deprecated
		if o.Endpoint != nil {
			op.HostPrefix = o.Endpoint.HostPrefix
		}
		if rest {
			op.Method = method
			op.URI = o.HTTP.RequestURI
			if op.URI == "" {
				op.URI = "/"
			}
		}
		if o.Input != nil {
			in := m.Shapes[o.Input.Shape]
			required := map[string]bool{}
			for _, r := range in.Required {
				required[r] = true
			}
			op.Token = idempotencyToken(&in, rest)
			for mn, mem := range in.Members {
				loc := ""
				switch mem.Location {
				case "uri":
					loc = modelfile.LocURI
				case "querystring":
					loc = modelfile.LocQuery
				case "header":
					loc = modelfile.LocHeader
				case "headers":
					loc = modelfile.LocHeaders
				}
				if loc == "" || !rest {
					if mn != in.Payload && md.Protocol != "rest-xml" {
						op.Body = append(op.Body, mn)
					}
					continue
				}
				b := modelfile.Member{Name: mn, Loc: loc, Required: required[mn]}
				if mem.LocationName != "" && mem.LocationName != mn {
					b.LocName = mem.LocationName
				}
				switch m.Shapes[mem.Shape].Type {
				case "list":
					b.List = true
				case "map":
					b.Map = loc == modelfile.LocQuery
				}
				op.Bound = append(op.Bound, b)
			}
			if in.Payload != "" && rest {
				op.Payload = in.Payload
				op.PayloadStruct = m.Shapes[in.Members[in.Payload].Shape].Type == "structure"
			}
			sort.Strings(op.Body)
			sort.Slice(op.Bound, func(i, j int) bool { return op.Bound[i].Name < op.Bound[j].Name })
		}
		if o.Input != nil {
			op.SensitiveIn = sensitiveMembers(m.Shapes, o.Input.Shape)
		}
		if o.Output != nil {
			op.SensitiveOut = sensitiveMembers(m.Shapes, o.Output.Shape)
		}
		op.Effects = classify(id, name, method, op.SensitiveOut).String()
		s.Ops = append(s.Ops, op)
	}
	sort.Slice(s.Ops, func(i, j int) bool { return s.Ops[i].Name < s.Ops[j].Name })
	return s
}

// readOnly reports whether an operation looks read-only: its name starts with
// a read verb and it is not sent with a mutating HTTP method. GET alone is not
// enough: several GET operations mint credentials or confirm resources
// (deadline AssumeFleetRoleForRead, iot ConfirmTopicRuleDestination).
func readOnly(name, method string) bool {
	switch method {
	case "PUT", "DELETE", "PATCH":
		return false
	}
	for _, p := range readPrefixes {
		if rest, ok := strings.CutPrefix(name, p); ok && (rest == "" || rest[0] >= 'A' && rest[0] <= 'Z') {
			return true
		}
	}
	return false
}

// idempotencyToken returns the input's idempotencyToken member, if any.
// Loc is set only for REST protocols, where a member may be bound to the
// querystring or a header; elsewhere every member is a body member (a JSON
// or CBOR member, a query or EC2 key, an XML element).
func idempotencyToken(in *shape, rest bool) *modelfile.Token {
	var names []string
	for mn, mem := range in.Members {
		if mem.IdempotencyToken {
			names = append(names, mn)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names) // botocore has one per operation; be deterministic anyway
	mem := in.Members[names[0]]
	t := &modelfile.Token{Name: names[0], LocName: mem.LocationName, QueryName: mem.QueryName}
	if t.LocName == t.Name {
		t.LocName = ""
	}
	if rest {
		switch mem.Location {
		case "querystring":
			t.Loc = modelfile.LocQuery
		case "header":
			t.Loc = modelfile.LocHeader
		}
	}
	return t
}
