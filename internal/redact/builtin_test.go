package redact

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// b64Mask is what blob fields get in JSON and XML.
var b64Mask = base64.StdEncoding.EncodeToString([]byte(Mask))

// TestBuiltinCredentialOutputs: each credential-bearing output the hand
// list covers, in the protocol its service answers in, is masked with no
// masking rules and no sensitive hook, and blob fields keep valid base64.
func TestBuiltinCredentialOutputs(t *testing.T) {
	e, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	gamelift := cborOf(t, map[string]any{"InstanceAccess": map[string]any{"InstanceId": "i-1",
		"Credentials": map[string]any{"UserName": "gl-user", "Secret": "ssh-private-key-SECRET"}}})
	gameliftToken := cborOf(t, map[string]any{"FleetId": "f-1", "AuthToken": "compute-token-SECRET"})
	tests := []struct {
		name, ct, service, operation, body string
		fields                             []string
		secrets, keep                      []string
	}{
		{
			name: "ec2 CreateKeyPair", ct: "text/xml", service: "ec2", operation: "CreateKeyPair",
			body:    `<CreateKeyPairResponse><keyName>k</keyName><keyMaterial>-----BEGIN RSA PRIVATE KEY-----SECRET</keyMaterial></CreateKeyPairResponse>`,
			fields:  []string{"CreateKeyPairResponse.keyMaterial"},
			secrets: []string{"SECRET"}, keep: []string{"<keyName>k</keyName>"},
		},
		{
			name: "ec2 GetPasswordData", ct: "text/xml", service: "ec2", operation: "GetPasswordData",
			body:    `<GetPasswordDataResponse><instanceId>i-1</instanceId><passwordData>ENCRYPTED-SECRET</passwordData></GetPasswordDataResponse>`,
			fields:  []string{"GetPasswordDataResponse.passwordData"},
			secrets: []string{"SECRET"}, keep: []string{"i-1"},
		},
		{
			name: "ec2 CreateVpnConnection pre-shared keys", ct: "text/xml", service: "ec2", operation: "CreateVpnConnection",
			body: `<CreateVpnConnectionResponse><vpnConnection><customerGatewayConfiguration>&lt;psk&gt;PSK-SECRET&lt;/psk&gt;</customerGatewayConfiguration>` +
				`<options><tunnelOptionSet><item><preSharedKey>PSK2-SECRET</preSharedKey></item></tunnelOptionSet></options></vpnConnection></CreateVpnConnectionResponse>`,
			fields:  []string{"CreateVpnConnectionResponse.vpnConnection.customerGatewayConfiguration", "CreateVpnConnectionResponse.vpnConnection.options.tunnelOptionSet.item.preSharedKey"},
			secrets: []string{"SECRET"},
		},
		{
			name: "iam CreateVirtualMFADevice seed and QR code as base64", ct: "text/xml", service: "iam", operation: "CreateVirtualMFADevice",
			body: `<CreateVirtualMFADeviceResponse><CreateVirtualMFADeviceResult><VirtualMFADevice><SerialNumber>arn:aws:iam::123456789012:mfa/d</SerialNumber>` +
				`<Base32StringSeed>U0VFRC1TRUNSRVQ=</Base32StringSeed><QRCodePNG>UE5HLVNFQ1JFVA==</QRCodePNG></VirtualMFADevice></CreateVirtualMFADeviceResult></CreateVirtualMFADeviceResponse>`,
			fields: []string{"CreateVirtualMFADeviceResponse.CreateVirtualMFADeviceResult.VirtualMFADevice.Base32StringSeed",
				"CreateVirtualMFADeviceResponse.CreateVirtualMFADeviceResult.VirtualMFADevice.QRCodePNG"},
			secrets: []string{"U0VFRC1TRUNSRVQ=", "UE5HLVNFQ1JFVA=="},
			keep:    []string{"<Base32StringSeed>" + b64Mask + "</Base32StringSeed>", "mfa/d"},
		},
		{
			name: "iam CreateServiceSpecificCredential", ct: "text/xml", service: "iam", operation: "CreateServiceSpecificCredential",
			body:    `<R><ServiceSpecificCredential><ServicePassword>PW-SECRET</ServicePassword><ServiceCredentialSecret>CS-SECRET</ServiceCredentialSecret><ServiceUserName>u</ServiceUserName></ServiceSpecificCredential></R>`,
			fields:  []string{"R.ServiceSpecificCredential.ServicePassword", "R.ServiceSpecificCredential.ServiceCredentialSecret"},
			secrets: []string{"SECRET"}, keep: []string{"<ServiceUserName>u</ServiceUserName>"},
		},
		{
			name: "ssm StartSession", ct: "application/x-amz-json-1.1", service: "ssm", operation: "StartSession",
			body:    `{"SessionId":"s-1","TokenValue":"TOKEN-SECRET","StreamUrl":"wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1?role=publish_subscribe&SECRET"}`,
			fields:  []string{"TokenValue", "StreamUrl"},
			secrets: []string{"SECRET"}, keep: []string{`"SessionId":"s-1"`},
		},
		{
			name: "ssm ResumeSession", ct: "application/x-amz-json-1.1", service: "ssm", operation: "ResumeSession",
			body:    `{"SessionId":"s-1","TokenValue":"TOKEN-SECRET","StreamUrl":"wss://x/SECRET"}`,
			fields:  []string{"TokenValue", "StreamUrl"},
			secrets: []string{"SECRET"},
		},
		{
			name: "ecs ExecuteCommand", ct: "application/x-amz-json-1.1", service: "ecs", operation: "ExecuteCommand",
			body:    `{"clusterArn":"arn:c","interactive":true,"session":{"sessionId":"ecs-1","streamUrl":"wss://x/SECRET","tokenValue":"TOKEN-SECRET"}}`,
			fields:  []string{"session.streamUrl", "session.tokenValue"},
			secrets: []string{"SECRET"}, keep: []string{`"sessionId":"ecs-1"`, `"interactive":true`},
		},
		{
			name: "ec2 IPAM verification TokenValue is not a secret", ct: "text/xml", service: "ec2", operation: "CreateIpamExternalResourceVerificationToken",
			body: `<R><ipamExternalResourceVerificationToken><tokenValue>publish-me-in-dns</tokenValue></ipamExternalResourceVerificationToken></R>`,
			keep: []string{"publish-me-in-dns"},
		},
		{
			name: "ecr GetAuthorizationToken", ct: "application/x-amz-json-1.1", service: "ecr", operation: "GetAuthorizationToken",
			body:    `{"authorizationData":[{"authorizationToken":"QVdTOlNFQ1JFVA==","proxyEndpoint":"https://1.dkr.ecr"}]}`,
			fields:  []string{"authorizationData[].authorizationToken"},
			secrets: []string{"QVdTOlNFQ1JFVA=="}, keep: []string{"https://1.dkr.ecr"},
		},
		{
			name: "secretsmanager GetSecretValue string and binary", ct: "application/x-amz-json-1.1", service: "secretsmanager", operation: "GetSecretValue",
			body:    `{"Name":"n","SecretString":"STRING-SECRET","SecretBinary":"QklOQVJZLVNFQ1JFVA=="}`,
			fields:  []string{"SecretString", "SecretBinary"},
			secrets: []string{"STRING-SECRET", "QklOQVJZLVNFQ1JFVA=="}, keep: []string{`"SecretBinary":"` + b64Mask + `"`, `"Name":"n"`},
		},
		{
			name: "secretsmanager BatchGetSecretValue", ct: "application/x-amz-json-1.1", service: "secretsmanager", operation: "BatchGetSecretValue",
			body:    `{"SecretValues":[{"Name":"a","SecretString":"A-SECRET"},{"Name":"b","SecretBinary":"Qi1TRUNSRVQ="}]}`,
			fields:  []string{"SecretValues[].SecretString", "SecretValues[].SecretBinary"},
			secrets: []string{"A-SECRET", "Qi1TRUNSRVQ="},
		},
		{
			name: "secretsmanager GetRandomPassword", ct: "application/x-amz-json-1.1", service: "secretsmanager", operation: "GetRandomPassword",
			body: `{"RandomPassword":"PW-SECRET"}`, fields: []string{"RandomPassword"}, secrets: []string{"SECRET"},
		},
		{
			name: "kms Decrypt plaintext as base64", ct: "application/x-amz-json-1.1", service: "kms", operation: "Decrypt",
			body:    `{"KeyId":"arn:k","Plaintext":"UExBSU4tU0VDUkVU","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`,
			fields:  []string{"Plaintext"},
			secrets: []string{"UExBSU4tU0VDUkVU"}, keep: []string{`"Plaintext":"` + b64Mask + `"`, `"KeyId":"arn:k"`},
		},
		{
			name: "kms GenerateDataKeyPair and DeriveSharedSecret", ct: "application/x-amz-json-1.1", service: "kms", operation: "GenerateDataKeyPair",
			body:    `{"PrivateKeyPlaintext":"UFJJVi1TRUNSRVQ=","PrivateKeyCiphertextBlob":"Q0lQSEVS","SharedSecret":"U0hBUkVELVNFQ1JFVA=="}`,
			fields:  []string{"PrivateKeyPlaintext", "SharedSecret"},
			secrets: []string{"UFJJVi1TRUNSRVQ=", "U0hBUkVELVNFQ1JFVA=="}, keep: []string{`"PrivateKeyCiphertextBlob":"Q0lQSEVS"`},
		},
		{
			name: "Plaintext outside kms is not a built-in field", ct: "application/json", service: "payment-cryptography-data", operation: "DecryptData",
			body: `{"PlainText":"not-covered-by-the-hand-list"}`, keep: []string{"not-covered-by-the-hand-list"},
		},
		{
			name: "cognito-idp AssociateSoftwareToken", ct: "application/x-amz-json-1.1", service: "cognito-idp", operation: "AssociateSoftwareToken",
			body: `{"SecretCode":"TOTP-SECRET","Session":"s"}`, fields: []string{"SecretCode"}, secrets: []string{"SECRET"},
		},
		{
			name: "lightsail CreateKeyPair", ct: "application/x-amz-json-1.1", service: "lightsail", operation: "CreateKeyPair",
			body:    `{"publicKeyBase64":"ssh-rsa AAAA","privateKeyBase64":"KEY-SECRET"}`,
			fields:  []string{"privateKeyBase64"},
			secrets: []string{"SECRET"}, keep: []string{"ssh-rsa AAAA"},
		},
		{
			name: "appstream CreateStreamingURL", ct: "application/x-amz-json-1.1", service: "appstream", operation: "CreateStreamingURL",
			body:   `{"StreamingURL":"https://appstream2/authenticate?parameters=SECRET","Expires":1.7E9}`,
			fields: []string{"StreamingURL"}, secrets: []string{"SECRET"}, keep: []string{`"Expires":1.7E9`},
		},
		{
			name: "gamelift GetInstanceAccess over CBOR", ct: "application/cbor", service: "gamelift", operation: "GetInstanceAccess",
			body: string(gamelift), fields: []string{"InstanceAccess.Credentials.Secret"}, secrets: []string{"SECRET"}, keep: []string{"gl-user"},
		},
		{
			name: "gamelift GetComputeAuthToken over CBOR", ct: "application/cbor", service: "gamelift", operation: "GetComputeAuthToken",
			body: string(gameliftToken), fields: []string{"AuthToken"}, secrets: []string{"SECRET"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Body(tt.ct, tt.service, tt.operation, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Fields, tt.fields) {
				t.Errorf("Fields = %q, want %q", res.Fields, tt.fields)
			}
			for _, s := range tt.secrets {
				if strings.Contains(string(res.Body), s) {
					t.Errorf("secret %q survived: %s", s, res.Body)
				}
			}
			for _, s := range tt.keep {
				if !strings.Contains(string(res.Body), s) {
					t.Errorf("%q lost: %s", s, res.Body)
				}
			}
		})
	}
}

// TestWithSensitive: names the hook returns for an operation are masked in
// JSON, XML and CBOR bodies of that operation only, whatever the rules,
// and a built-in blob rule still decides the mask's form.
func TestWithSensitive(t *testing.T) {
	hook := func(service, operation string) []string {
		switch service + ":" + operation {
		case "svc:Op":
			return []string{"Hidden", "deepSecret"}
		case "kms:Decrypt":
			return []string{"Plaintext"}
		}
		return nil
	}
	e, err := New(nil, WithSensitive(hook))
	if err != nil {
		t.Fatal(err)
	}
	cborBody := cborOf(t, map[string]any{"hidden": "CBOR-SECRET", "List": []any{map[string]any{"DeepSecret": []byte("BYTES-SECRET")}}, "Shown": "ok"})
	tests := []struct {
		name, ct, service, operation, body string
		fields                             []string
		secrets, keep                      []string
	}{
		{
			name: "json", ct: "application/x-amz-json-1.1", service: "svc", operation: "Op",
			body:    `{"Hidden":"JSON-SECRET","Shown":"ok","Nested":{"List":[{"deepSecret":{"a":"DEEP-SECRET","n":3}}]}}`,
			fields:  []string{"Hidden", "Nested.List[].deepSecret"},
			secrets: []string{"SECRET"}, keep: []string{`"Shown":"ok"`, `"n":3`},
		},
		{
			name: "xml", ct: "text/xml", service: "svc", operation: "Op",
			body:    `<OpResponse><OpResult><HIDDEN>XML-SECRET</HIDDEN><Shown>ok</Shown></OpResult></OpResponse>`,
			fields:  []string{"OpResponse.OpResult.HIDDEN"},
			secrets: []string{"SECRET"}, keep: []string{"<Shown>ok</Shown>"},
		},
		{
			name: "cbor", ct: "application/cbor", service: "svc", operation: "Op", body: string(cborBody),
			fields:  []string{"List[].DeepSecret", "hidden"},
			secrets: []string{"SECRET"}, keep: []string{"ok"},
		},
		{
			name: "another operation is untouched", ct: "application/json", service: "svc", operation: "Other",
			body: `{"Hidden":"visible"}`, keep: []string{`"Hidden":"visible"`},
		},
		{
			name: "built-in blob rule keeps base64", ct: "application/x-amz-json-1.1", service: "kms", operation: "Decrypt",
			body: `{"Plaintext":"UExBSU4="}`, fields: []string{"Plaintext"}, keep: []string{`"Plaintext":"` + b64Mask + `"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Body(tt.ct, tt.service, tt.operation, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Fields, tt.fields) {
				t.Errorf("Fields = %q, want %q", res.Fields, tt.fields)
			}
			for _, s := range tt.secrets {
				if strings.Contains(string(res.Body), s) {
					t.Errorf("secret %q survived: %s", s, res.Body)
				}
			}
			for _, s := range tt.keep {
				if !strings.Contains(string(res.Body), s) {
					t.Errorf("%q lost: %s", s, res.Body)
				}
			}
		})
	}
}

// cborOf encodes v with sorted map keys, so field order is stable.
func cborOf(t *testing.T, v any) []byte {
	t.Helper()
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	b, err := em.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
