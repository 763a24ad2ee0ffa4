package main

import (
	"strings"
	"unicode"

	"github.com/jitgate/jitgate/internal/awsmodel/internal/modelfile"
)

// effectSet is a set of effect classes; bit i is modelfile.EffectLetters[i].
type effectSet uint8

const (
	eRead effectSet = 1 << iota
	eList
	eWrite
	eDelete
	ePerm
	eCred
	eExec
)

// String renders the set as effect letters in EffectLetters order.
func (e effectSet) String() string {
	var b strings.Builder
	for i, l := range modelfile.EffectLetters {
		if e&(1<<i) != 0 {
			b.WriteByte(l.Letter)
		}
	}
	return b.String()
}

// effectByName maps an effect name ("delete") to its bit.
func effectByName(name string) (effectSet, bool) {
	for i, l := range modelfile.EffectLetters {
		if l.Name == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// verbs classifies an operation by the first word of its name (the second
// for Batch* and Admin*). A verb not listed falls back to the HTTP method
// (GET/HEAD read, DELETE delete, anything else write), so an unknown verb
// is never taken for a harmless one.
var verbs = map[string]effectSet{
	// Reads: return data, change nothing.
	"Get": eRead, "Describe": eRead, "Head": eRead, "Query": eRead, "Select": eRead,
	"Lookup": eRead, "Retrieve": eRead, "Download": eRead, "Check": eRead, "Validate": eRead,
	"Verify": eRead, "Preview": eRead, "Estimate": eRead, "Calculate": eRead, "Count": eRead,
	"Detect": eRead, "Analyze": eRead, "Evaluate": eRead, "Simulate": eRead, "Infer": eRead,
	"Predict": eRead, "Recognize": eRead, "Translate": eRead, "Classify": eRead, "Compare": eRead,
	"Contains": eRead, "Is": eRead, "View": eRead, "Filter": eRead, "Forecast": eRead,
	"Geocode": eRead, "Reverse": eRead, "Autocomplete": eRead, "Suggest": eRead, "Snap": eRead,
	"Render": eRead, "Synthesize": eRead, "Decode": eRead, "Encrypt": eRead, "Decrypt": eRead,
	"Re": eRead, "Sign": eRead, "Derive": eRead, "Discover": eRead, "Probe": eRead,
	"Rerank": eRead, "Converse": eRead, "Chat": eRead, "Compose": eRead, "Read": eRead,
	// Lists: enumerate resources or items.
	"List": eList, "Search": eList, "Scan": eRead | eList,
	// Writes: create or change state.
	"Create": eWrite, "Update": eWrite, "Put": eWrite, "Modify": eWrite, "Set": eWrite,
	"Add": eWrite, "Tag": eWrite, "Untag": eWrite, "Associate": eWrite, "Enable": eWrite,
	"Disable": eWrite, "Register": eWrite, "Import": eWrite, "Copy": eWrite, "Upload": eWrite,
	"Restore": eWrite, "Reset": eWrite, "Accept": eWrite, "Reject": eWrite, "Change": eWrite,
	"Apply": eWrite, "Attach": eWrite, "Allocate": eWrite, "Assign": eWrite, "Configure": eWrite,
	"Confirm": eWrite, "Continue": eWrite, "Activate": eWrite, "Deactivate": eWrite,
	"Approve": eWrite, "Decline": eWrite, "Define": eWrite, "Deprecate": eWrite,
	"Undeprecate": eWrite, "Extend": eWrite, "Increase": eWrite, "Decrease": eWrite,
	"Index": eWrite, "Ingest": eWrite, "Insert": eWrite, "Install": eWrite, "Invite": eWrite,
	"Join": eWrite, "Label": eWrite, "Unlabel": eWrite, "Lock": eWrite, "Unlock": eWrite,
	"Merge": eWrite, "Migrate": eWrite, "Move": eWrite, "Notify": eWrite, "Opt": eWrite,
	"Override": eWrite, "Post": eWrite, "Promote": eWrite, "Provision": eWrite,
	"Publish": eWrite, "Purchase": eWrite, "Push": eWrite, "Rebuild": eWrite, "Record": eWrite,
	"Refresh": eWrite, "Regenerate": eWrite, "Reimport": eWrite, "Reload": eWrite,
	"Rename": eWrite, "Renew": eWrite, "Reorder": eWrite, "Replace": eWrite,
	"Replicate": eWrite, "Report": eWrite, "Request": eWrite, "Resend": eWrite,
	"Reserve": eWrite, "Resize": eWrite, "Respond": eWrite, "Resync": eWrite, "Return": eWrite,
	"Rotate": eWrite, "Save": eWrite, "Schedule": eWrite, "Send": eWrite, "Submit": eWrite,
	"Subscribe": eWrite, "Suspend": eWrite, "Synchronize": eWrite, "Sync": eWrite,
	"Transfer": eWrite, "Archive": eWrite, "Unarchive": eWrite, "Upgrade": eWrite,
	"Vote": eWrite, "Write": eWrite, "Mark": eWrite, "Meter": eWrite, "Acknowledge": eWrite,
	"Advertise": eWrite, "Withdraw": eWrite, "Amend": eWrite, "Begin": eWrite,
	"Bundle": eWrite, "Checkout": eWrite, "Checkpoint": eWrite, "Claim": eWrite,
	"Clone": eWrite, "Commit": eWrite, "Complete": eWrite, "Convert": eWrite,
	"Deliver": eWrite, "Dismiss": eWrite, "Distribute": eWrite, "Enter": eWrite,
	"Exchange": eWrite, "Finalize": eWrite, "Forgot": eWrite, "Group": eWrite,
	"Ungroup": eWrite, "Issue": eWrite, "Manage": eWrite, "Open": eWrite, "Peer": eWrite,
	"Populate": eWrite, "Prepare": eWrite, "Process": eWrite, "Provide": eWrite,
	"Recall": eWrite, "Rebalance": eWrite, "Redact": eWrite, "Resolve": eWrite,
	"Setup": eWrite, "Split": eWrite, "Swap": eWrite, "Take": eWrite, "Unassign": eWrite,
	"Unmonitor": eWrite, "Monitor": eWrite, "Cancel": eWrite, "Initiate": eWrite,
	"Initialize": eWrite, "Skip": eWrite, "Generate": eWrite, "Export": eRead | eWrite,
	"Receive": eRead | eWrite, "Poll": eRead | eWrite, "Transact": eWrite, "Connect": eWrite,
	"Deny": eWrite, "Allow": eWrite,
	// Deletes: remove resources, data, links or access.
	"Delete": eDelete, "Remove": eDelete, "Terminate": eDelete, "Detach": eDelete,
	"Disassociate": eDelete, "Dissociate": eDelete, "Deregister": eDelete,
	"Unregister": eDelete, "Purge": eDelete, "Abort": eDelete, "Discard": eDelete,
	"Dispose": eDelete, "Evict": eDelete, "Expire": eDelete, "Flush": eDelete,
	"Clear": eDelete, "Release": eDelete, "Retire": eDelete, "Deprovision": eDelete,
	"Unsubscribe": eDelete, "Unpeer": eDelete, "Unlink": eDelete, "Undeploy": eDelete,
	"Leave": eDelete, "Shutdown": eDelete, "Disconnect": eDelete, "Invalidate": eDelete,
	"Close": eDelete, "Forget": eDelete, "Drain": eWrite | eDelete, "End": eDelete,
	// Permissions: change who may do what.
	"Authorize": eWrite | ePerm, "Grant": eWrite | ePerm, "Share": eWrite | ePerm,
	"Revoke": eDelete | ePerm, "Unshare": eDelete | ePerm, "Deauthorize": eDelete | ePerm,
	// Credentials: hand out access.
	"Assume": eCred,
	// Execute: run code, commands, queries or jobs, or change what runs.
	"Start": eWrite | eExec, "Stop": eWrite | eExec, "Run": eWrite | eExec,
	"Invoke": eExec, "Execute": eExec, "Reboot": eWrite | eExec, "Restart": eWrite | eExec,
	"Resume": eWrite | eExec, "Pause": eWrite | eExec, "Signal": eWrite | eExec,
	"Test": eRead | eExec, "Deploy": eWrite | eExec, "Launch": eWrite | eExec,
	"Instantiate": eWrite | eExec, "Redrive": eWrite | eExec, "Retry": eWrite | eExec,
	"Rollback": eWrite | eDelete | eExec, "Failover": eWrite | eExec,
	"Switchover": eWrite | eExec, "Backtrack": eWrite | eDelete,
}

// permissionServices are services whose every change is a permission
// change: users, roles, groups, policies, permission sets.
var permissionServices = map[string]bool{
	"iam": true, "sso-admin": true, "identitystore": true, "verifiedpermissions": true,
}

// nonPermissionPolicies are words before "Policy" that name policies that
// do not decide access (scaling, lifecycle, caching, ...). Every other
// policy change counts as a permission change.
var nonPermissionPolicies = map[string]bool{
	"lifecycle": true, "reasoning": true, "traffic": true, "scaling": true, "metering": true,
	"retention": true, "scheduling": true, "cache": true, "deployment": true, "headers": true,
	"request": true, "balancer": true, "stickiness": true, "termination": true,
	"resiliency": true, "recipe": true, "routing": true, "backup": true, "retrieval": true,
	"metric": true, "protection": true, "creation": true, "index": true, "model": true,
}

// credentialOutputs are output member names (lower case) that, marked
// sensitive, mean the operation hands out usable access or secrets. Names
// botocore also marks in configuration echoes (MasterUserPassword in
// CreateDBInstance and DescribeDBInstances, FsxAdminPassword) are left out: the masker redacts
// those anyway, and reading a configuration is not minting access.
var credentialOutputs = map[string]bool{
	"secretaccesskey": true, "sessiontoken": true, "secretkey": true, "accesstoken": true,
	"idtoken": true, "refreshtoken": true, "token": true, "keymaterial": true,
	"privatekey": true, "privatekeyplaintext": true, "plaintext": true, "secretstring": true,
	"secretbinary": true, "credentials": true, "dbpassword": true, "passworddata": true,
	"servicepassword": true, "workloadaccesstoken": true, "apikey": true, "authtoken": true,
	"temporarypassword": true, "sourceaccesstoken": true, "destinationaccesstoken": true,
	"claimcertificateprivatekey": true,
}

// handingVerbs are verbs of operations whose purpose is to hand something
// out; only they are classed as credentials by their sensitive outputs.
var handingVerbs = map[string]bool{
	"Get": true, "Create": true, "Generate": true, "Decrypt": true, "Export": true,
	"Assume": true, "Request": true, "Reset": true, "Rotate": true, "Exchange": true,
	"Refresh": true, "Open": true, "Issue": true, "Regenerate": true,
}

// classify derives an operation's effects from its name, HTTP method and
// sensitive output members. Curated overrides (effects.txt) are applied
// afterwards.
func classify(service, name, method string, sensitiveOut []string) effectSet {
	words := splitWords(name)
	verb := words[0]
	if (verb == "Batch" || verb == "Admin") && len(words) > 1 {
		verb, words = words[1], words[1:]
	}
	e, known := verbs[verb]
	if !known {
		switch method {
		case "GET", "HEAD":
			e = eRead
		case "DELETE":
			e = eDelete
		default:
			e = eWrite
		}
	}
	// A read verb sent with a mutating method is not a read.
	if e&^(eRead|eList) == 0 {
		switch method {
		case "PUT", "PATCH":
			e |= eWrite
		case "DELETE":
			e |= eDelete
		}
	}
	lower := make([]string, len(words))
	for i, w := range words {
		lower[i] = strings.ToLower(w)
	}
	mutating := e&(eWrite|eDelete) != 0
	if mutating && (permissionServices[service] || permissionWords(lower[1:])) {
		e |= ePerm
	}
	// Lifecycle, retention and expiry rules delete data later.
	if mutating && (hasWord(lower, "lifecycle") || hasSeq(lower, "retention", "policy") ||
		hasSeq(lower, "time", "to", "live")) {
		e |= eDelete
	}
	if credentialName(verb, lower) {
		e |= eCred
	}
	if handingVerbs[verb] {
		for _, m := range sensitiveOut {
			if credentialOutputs[strings.ToLower(m)] {
				e |= eCred
				break
			}
		}
	}
	return e
}

// permissionWords reports names about access: policies (other than
// scaling, lifecycle and the like), permissions, ACLs, grants, sharing,
// trust, roles, IAM and public-access settings.
func permissionWords(w []string) bool {
	for i, x := range w {
		switch x {
		case "policy", "policies":
			if i == 0 || !nonPermissionPolicies[w[i-1]] {
				return true
			}
		case "permission", "permissions", "acl", "acls", "grant", "grants", "share", "shares",
			"sharing", "trust", "trusts", "role", "roles", "iam", "principal", "principals":
			return true
		case "public":
			if i+1 < len(w) && w[i+1] == "access" {
				return true
			}
		case "ownership":
			return true
		}
	}
	return false
}

// credentialName reports names that hand out access: Get...Credentials,
// Create...Token, presigned and embed URLs, key pairs, access keys.
func credentialName(verb string, w []string) bool {
	last := w[len(w)-1]
	hands := handingVerbs[verb]
	switch {
	case hands && (last == "credentials" || last == "credential") && !hasWord(w, "report"):
		return true
	case hands && (last == "token" || last == "tokens"):
		return true
	case hasWord(w, "presigned") || hasSeq(w, "embed", "url") || hasSeq(w, "session", "url") ||
		hasSeq(w, "streaming", "url") || hasSeq(w, "login", "url") || hasSeq(w, "authentication", "url"):
		return true
	case hands && hasSeq(w, "key", "pair") && verb != "Get":
		return true
	case hands && hasSeq(w, "access", "key") && verb == "Create":
		return true
	case hands && hasSeq(w, "access", "details"):
		return true
	}
	return false
}

func hasWord(w []string, x string) bool {
	for _, y := range w {
		if y == x {
			return true
		}
	}
	return false
}

func hasSeq(w []string, seq ...string) bool {
	for i := 0; i+len(seq) <= len(w); i++ {
		ok := true
		for j, s := range seq {
			if w[i+j] != s {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// splitWords splits a CamelCase operation name into words; a run of capitals
// is one word ("GetACLs" -> Get, ACLs; "ListIPSets" -> List, IP, Sets).
func splitWords(name string) []string {
	var words []string
	r := []rune(name)
	start := 0
	for i := 1; i < len(r); i++ {
		if !unicode.IsUpper(r[i]) {
			continue
		}
		prevUpper := unicode.IsUpper(r[i-1])
		nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
		// A new word starts at a capital after a lower-case letter or
		// digit, or at the last capital of a run followed by lower case
		// (except a plural "s": "ACLs").
		if !prevUpper || nextLower && !(r[i+1] == 's' && (i+2 == len(r) || unicode.IsUpper(r[i+2]))) {
			words = append(words, string(r[start:i]))
			start = i
		}
	}
	words = append(words, string(r[start:]))
	return words
}
