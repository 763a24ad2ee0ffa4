// Package modelfile defines the on-disk shape of awsmodel's generated index
// (index.json.gz). The generator writes it and awsmodel.Load reads it; nothing
// else should depend on it. JSON keys are short because the file is embedded
// in every jitgate binary.
package modelfile

import "github.com/go-json-experiment/json/jsontext"

// Version is the format version the generator writes and Load accepts.
const Version = 2

// File is the whole generated index.
type File struct {
	Version int `json:"v"`
	// Source names the botocore version the file was generated from.
	Source     string      `json:"src,omitempty"`
	Services   []Service   `json:"svc"`
	Partitions []Partition `json:"part"`
}

// Service is one botocore service model (its newest API version).
type Service struct {
	ServiceMeta `json:",inline"`
	Ops         []Op `json:"ops"`
}

// LazyService is Service with its operations left undecoded, so that Load
// decodes a service's operations only when a request first needs them.
type LazyService struct {
	ServiceMeta `json:",inline"`
	Ops         jsontext.Value `json:"ops"`
}

// LazyFile is File with lazily decoded services.
type LazyFile struct {
	Version    int           `json:"v"`
	Source     string        `json:"src,omitempty"`
	Services   []LazyService `json:"svc"`
	Partitions []Partition   `json:"part"`
}

// ServiceMeta is a service's metadata.
type ServiceMeta struct {
	ID             string   `json:"id"`           // botocore directory name, e.g. "s3"
	EndpointPrefix string   `json:"ep"`           // metadata.endpointPrefix
	SigningName    string   `json:"sn,omitempty"` // metadata.signingName; empty means EndpointPrefix
	Protocols      []string `json:"p"`            // metadata.protocol first, then the rest of metadata.protocols, then "query" if awsQueryCompatible
	TargetPrefix   string   `json:"tp,omitempty"` // JSON / CBOR target prefix
	JSONVersion    string   `json:"jv,omitempty"`
	APIVersion     string   `json:"av"`
	GlobalEndpoint string   `json:"ge,omitempty"` // metadata.globalEndpoint
}

// Op is one operation. Method and URI are only set for REST protocols.
type Op struct {
	Name       string   `json:"n"`
	Method     string   `json:"m,omitempty"`
	URI        string   `json:"u,omitempty"`
	ReadOnly   bool     `json:"r,omitempty"`
	Deprecated bool     `json:"d,omitempty"`
	HostPrefix string   `json:"hp,omitempty"`
	Bound      []Member `json:"b,omitempty"`  // members bound to uri / querystring / header(s)
	Body       []string `json:"f,omitempty"`  // top-level body member names (not for rest-xml)
	Payload    string   `json:"pl,omitempty"` // member that is the whole body, if any
	// PayloadStruct reports whether Payload is a structure (decodable body)
	// rather than a blob or string.
	PayloadStruct bool `json:"ps,omitempty"`
	// Effects are the operation's effect classes, one letter each (see
	// EffectLetters), e.g. "wd" for write and delete. Never empty.
	Effects string `json:"e"`
	// SensitiveIn and SensitiveOut are the names of input and output
	// members, at any depth, whose shape botocore marks "sensitive": true
	// (sorted, deduplicated). A sensitive structure, list or map is named
	// once; its own members are not listed.
	SensitiveIn  []string `json:"si,omitempty"`
	SensitiveOut []string `json:"so,omitempty"`
	// Token is the input member botocore marks "idempotencyToken": true
	// (ec2 RunInstances ClientToken), nil if none.
	Token *Token `json:"it,omitempty"`
}

// Token is an operation's idempotency-token input member: the one SDKs
// fill with a fresh value when the caller leaves it empty, and by which AWS
// recognises a request sent twice.
type Token struct {
	Name string `json:"n"` // member name
	// Loc is "" for a body member (JSON or CBOR member, query or EC2 key,
	// XML element), LocQuery or LocHeader for a REST member bound there.
	Loc string `json:"l,omitempty"`
	// LocName is botocore's locationName where it differs from Name: the
	// header or querystring key of a bound member, the JSON key or query
	// key of a body member (EC2 capitalises it).
	LocName string `json:"k,omitempty"`
	// QueryName is the EC2 protocol's wire name, when the model sets one.
	QueryName string `json:"qn,omitempty"`
}

// EffectLetters maps the one-letter effect codes of Op.Effects to effect
// names, in the order the letters are written.
var EffectLetters = []struct {
	Letter byte
	Name   string
}{
	{'r', "read"},
	{'l', "list"},
	{'w', "write"},
	{'d', "delete"},
	{'p', "permissions"},
	{'c', "credentials"},
	{'x', "execute"},
}

// Location values of Member.Loc.
const (
	LocURI     = "u" // path label
	LocQuery   = "q" // querystring
	LocHeader  = "h" // one header
	LocHeaders = "H" // header prefix map (locationName is the prefix)
)

// Member is an input member bound to a part of the HTTP request.
type Member struct {
	Name     string `json:"n"`
	Loc      string `json:"l"`
	LocName  string `json:"k,omitempty"` // empty means Name
	Required bool   `json:"r,omitempty"`
	List     bool   `json:"t,omitempty"`  // list-typed (repeated query key or comma-joined header)
	Map      bool   `json:"mp,omitempty"` // map-typed querystring member (all unknown keys)
}

// Partition is one endpoints.json partition, reduced to what endpoint
// resolution needs.
type Partition struct {
	ID          string   `json:"id"`
	DNSSuffix   string   `json:"dns"`
	RegionRegex string   `json:"rx"`
	Hostname    string   `json:"host"` // default hostname template
	Regions     []string `json:"reg"`
	// Services is keyed by endpoint prefix.
	Services map[string]PartitionService `json:"svc"`
}

// PartitionService is a service's entry in a partition.
type PartitionService struct {
	PartitionEndpoint string `json:"pe,omitempty"`
	// NotRegionalized is endpoints.json's isRegionalized == false.
	NotRegionalized bool                `json:"nr,omitempty"`
	Defaults        *Endpoint           `json:"d,omitempty"`
	Endpoints       map[string]Endpoint `json:"e,omitempty"` // only entries that override something
}

// Endpoint is a hostname / credential scope override.
type Endpoint struct {
	Hostname      string `json:"h,omitempty"`
	SigningRegion string `json:"cr,omitempty"`
	SigningName   string `json:"cs,omitempty"`
}
