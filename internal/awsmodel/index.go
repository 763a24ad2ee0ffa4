package awsmodel

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"sync"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

//go:embed index.json.gz
var embeddedIndex []byte

// Index is the parsed service and endpoint index. Build it once with Load and
// share it; it is safe for concurrent use.
type Index struct {
	source     string
	services   map[string]*service
	ids        []string
	bySigning  map[string][]*service // signing name and endpoint prefix -> services
	partitions []partition
	cbor       cbor.DecMode
}

// ServiceInfo describes one service of the index.
type ServiceInfo struct {
	ID             string   // botocore service id, e.g. "cloudwatch"
	EndpointPrefix string   // e.g. "monitoring"
	SigningName    string   // SigV4 signing name (metadata.signingName or endpointPrefix)
	Protocols      []string // default protocol first, e.g. ["smithy-rpc-v2-cbor","json","query"]
	TargetPrefix   string   // X-Amz-Target prefix for JSON / CBOR services
	JSONVersion    string   // "1.0" or "1.1" for JSON services
	APIVersion     string   // e.g. "2016-11-15"; query and EC2 send it as Version=
	GlobalEndpoint string   // metadata.globalEndpoint, e.g. "iam.amazonaws.com"
}

// OperationInfo describes one operation of a service in the index.
type OperationInfo struct {
	Service    string // botocore service id
	Name       string // e.g. "PutObject"
	Method     string // HTTP method for REST protocols, "POST" otherwise
	RequestURI string // requestUri template for REST protocols, "/" otherwise
	ReadOnly   bool   // name starts with a read verb and the method is not PUT/DELETE/PATCH
	Deprecated bool
	HostPrefix string // endpoint host prefix template, e.g. "{AccountId}." or "data-"
	// InputMembers are the top-level input member names, sorted (rest-xml
	// body members are not listed).
	InputMembers []string
	// Effects are the operation's effect classes (see Index.Effects).
	Effects []string
	// TokenMember names the idempotency-token input member, "" if none
	// (see Index.IdempotencyToken).
	TokenMember string
}

type service struct {
	info   ServiceInfo
	rawOps jsontext.Value // decoded on first use

	once   sync.Once
	err    error
	ops    map[string]*operation
	routes map[string][]*route // HTTP method -> routes (REST services)
}

type operation struct {
	modelfile.Op
	svc *service
}

// fastJSON skips checks the generated index does not need.
func fastJSON() json.Options {
	return json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// Load parses the embedded index. It takes a few tens of milliseconds; call
// it once at start-up and keep the result.
func Load() (*Index, error) {
	return load(embeddedIndex)
}

func load(gz []byte) (*Index, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadIndex, err)
	}
	// The gzip trailer holds the uncompressed size: read into one buffer.
	var buf bytes.Buffer
	if n := len(gz); n >= 4 {
		buf.Grow(int(binary.LittleEndian.Uint32(gz[n-4:])) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(zr); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadIndex, err)
	}
	var f modelfile.LazyFile
	if err := json.Unmarshal(buf.Bytes(), &f, fastJSON()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadIndex, err)
	}
	if f.Version != modelfile.Version {
		return nil, fmt.Errorf("%w: format version %d, want %d", ErrBadIndex, f.Version, modelfile.Version)
	}
	dm, err := newCBORDecMode()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadIndex, err)
	}
	ix := &Index{
		cbor:      dm,
		source:    f.Source,
		services:  make(map[string]*service, len(f.Services)),
		bySigning: make(map[string][]*service),
	}
	for i := range f.Services {
		ms := &f.Services[i]
		s := &service{
			info: ServiceInfo{
				ID:             ms.ID,
				EndpointPrefix: ms.EndpointPrefix,
				SigningName:    ms.SigningName,
				Protocols:      ms.Protocols,
				TargetPrefix:   ms.TargetPrefix,
				JSONVersion:    ms.JSONVersion,
				APIVersion:     ms.APIVersion,
				GlobalEndpoint: ms.GlobalEndpoint,
			},
			rawOps: ms.Ops,
		}
		if s.info.SigningName == "" {
			s.info.SigningName = ms.EndpointPrefix
		}
		ix.services[s.info.ID] = s
		ix.ids = append(ix.ids, s.info.ID)
		ix.bySigning[s.info.SigningName] = append(ix.bySigning[s.info.SigningName], s)
	}
	sort.Strings(ix.ids)
	// A service is also reachable by its endpoint prefix when no service signs
	// with that name (credential scopes in endpoints.json use prefixes).
	for _, id := range ix.ids {
		s := ix.services[id]
		if p := s.info.EndpointPrefix; p != s.info.SigningName && len(ix.bySigning[p]) == 0 {
			ix.bySigning[p] = []*service{s}
		}
	}
	for _, p := range f.Partitions {
		rx, err := regexp.Compile(p.RegionRegex)
		if err != nil {
			return nil, fmt.Errorf("%w: partition %s region regex: %w", ErrBadIndex, p.ID, err)
		}
		ix.partitions = append(ix.partitions, partition{Partition: p, regionRx: rx})
	}
	return ix, nil
}

// Source names the botocore version the index was generated from.
func (ix *Index) Source() string { return ix.source }

// Services returns every service id, sorted.
func (ix *Index) Services() []string { return slices.Clone(ix.ids) }

// Service returns the service with botocore id id.
func (ix *Index) Service(id string) (ServiceInfo, bool) {
	s, ok := ix.services[id]
	if !ok {
		return ServiceInfo{}, false
	}
	info := s.info
	info.Protocols = slices.Clone(info.Protocols)
	return info, true
}

// Operation returns operation name of service id.
func (ix *Index) Operation(id, name string) (OperationInfo, bool) {
	s, ok := ix.services[id]
	if !ok {
		return OperationInfo{}, false
	}
	op, ok, err := s.op(name)
	if err != nil || !ok {
		return OperationInfo{}, false
	}
	info := OperationInfo{
		Service:    id,
		Name:       op.Name,
		Method:     op.Method,
		RequestURI: op.URI,
		ReadOnly:   op.ReadOnly,
		Deprecated: op.Deprecated,
		HostPrefix: op.HostPrefix,
		Effects:    effectNames(op.Effects),
	}
	if op.Token != nil {
		info.TokenMember = op.Token.Name
	}
	if info.Method == "" {
		info.Method, info.RequestURI = "POST", "/"
	}
	for _, b := range op.Bound {
		info.InputMembers = append(info.InputMembers, b.Name)
	}
	info.InputMembers = append(info.InputMembers, op.Body...)
	if op.Payload != "" {
		info.InputMembers = append(info.InputMembers, op.Payload)
	}
	sort.Strings(info.InputMembers)
	return info, true
}

// load decodes the service's operations and compiles its REST routes, once.
func (s *service) load() error {
	s.once.Do(func() {
		var ops []modelfile.Op
		if err := json.Unmarshal(s.rawOps, &ops, fastJSON()); err != nil {
			s.err = fmt.Errorf("%w: operations of %s: %w", ErrBadIndex, s.info.ID, err)
			return
		}
		s.rawOps = nil
		s.ops = make(map[string]*operation, len(ops))
		for i := range ops {
			o := &operation{Op: ops[i], svc: s}
			s.ops[o.Name] = o
			if o.Method != "" {
				if s.routes == nil {
					s.routes = map[string][]*route{}
				}
				s.routes[o.Method] = append(s.routes[o.Method], newRoute(o))
			}
		}
	})
	return s.err
}

// op returns the operation called name.
func (s *service) op(name string) (*operation, bool, error) {
	if err := s.load(); err != nil {
		return nil, false, err
	}
	o, ok := s.ops[name]
	return o, ok, nil
}

func (s *service) speaks(protocol string) bool {
	return slices.Contains(s.info.Protocols, protocol)
}
