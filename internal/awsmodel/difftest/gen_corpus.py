#!/usr/bin/env python3
"""Generate the differential-test corpus: requests exactly as botocore sends them.

For a deterministic, seeded sample of operations across every service in
botocore's data (every protocol represented, including the alternative
protocols a service's model lists, such as CloudWatch over query or
rpc-v2-cbor), build a small valid input from the operation's input shape
(required members plus some optional scalars, lists, maps and nested
structures; strings from a safe alphabet; S3 keys with '/'), let botocore
serialise, resolve the endpoint and sign it, and capture the prepared request
in a before-send handler that answers with a canned response (nothing leaves
the process).

Each entry records the request (method, path and query, headers, body) and
`expect`: the parameters botocore put in, in the form awsmodel reports them:

  json                  the body's top-level members, as JSON
  smithy-rpc-v2-cbor    the input's top-level member names; string values
  query, ec2            the flattened form parameters minus Action and Version
  rest-json, rest-xml   URI labels, query and header members as strings
                        (lists, maps); for rest-json the body's members.
                        rest-xml bodies and blob payloads are not decoded by
                        awsmodel, so they are not listed.

A value of null means "present, value not compared" (timestamps, floats,
blobs in headers, CBOR non-strings).

    python3 internal/awsmodel/difftest/gen_corpus.py   # or: go generate ./internal/awsmodel/difftest
"""
import base64
import datetime
import gzip
import json
import os
import random
import re
import sys
import urllib.parse
import uuid
import warnings

import botocore
import botocore.serialize
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("DIFFTEST_CORPUS_OUT") or os.path.join(HERE, "testdata", "corpus.json.gz")
GW = "http://127.0.0.1:8443"
SEED = 6
OPS_PER_SERVICE = 2        # per service and protocol
ALT_PROTOCOL_OPS = 4       # extra operations for a service's non-default protocols
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# Headers that carry nothing awsmodel reads and only make the corpus large.
DROP_HEADERS = {"user-agent", "amz-sdk-invocation-id", "amz-sdk-request"}
SUPPORTED = ("json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor", "query", "ec2")

warnings.filterwarnings("ignore")


class Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kw):
        yield self.body


class Gen:
    """Builds a small valid input for a shape."""

    def __init__(self, rng, service):
        self.rng = rng
        self.service = service

    def word(self, shape, name=""):
        lo = shape.metadata.get("min", 1) or 1
        hi = shape.metadata.get("max", 12)
        n = max(lo, min(hi, self.rng.randint(4, 10)))
        s = "".join(self.rng.choice(ALPHABET) for _ in range(n))
        if self.service == "s3" and name == "Key":
            s = "dir/" + s + "/obj-1"
        if not s[0].isalpha():
            s = "a" + s[1:]
        return s

    def value(self, shape, name, depth, optional_p):
        t = shape.type_name
        if t == "structure":
            if shape.metadata.get("document"):
                return {"k": "v"}
            if shape.metadata.get("union"):
                names = [m for m, s in shape.members.items() if s.type_name in ("string", "integer", "boolean", "long")]
                if not names:
                    names = list(shape.members)
                m = self.rng.choice(sorted(names))
                return {m: self.value(shape.members[m], m, depth + 1, 0)}
            out = {}
            required = set(shape.required_members)
            for m, ms in shape.members.items():
                if ms.metadata.get("eventstream") or ms.type_name == "structure" and ms.metadata.get("eventstream"):
                    raise Skip("event stream input")
                if m in required:
                    if depth > 6:
                        raise Skip("required members nest too deep")
                    out[m] = self.value(ms, m, depth + 1, optional_p / 2)
                elif depth < 3 and self.rng.random() < optional_p:
                    if ms.metadata.get("idempotencyToken"):
                        continue
                    out[m] = self.value(ms, m, depth + 1, optional_p / 2)
            return out
        if t == "list":
            lo = shape.metadata.get("min", 0) or 0
            n = max(lo, self.rng.randint(1, 2))
            return [self.value(shape.member, name, depth + 1, optional_p / 2) for _ in range(n)]
        if t == "map":
            lo = shape.metadata.get("min", 0) or 0
            n = max(lo, 1)
            return {self.value(shape.key, "", depth + 1, 0): self.value(shape.value, "", depth + 1, optional_p / 2) for _ in range(n)}
        if t == "string":
            if shape.enum:
                return shape.enum[0]
            return self.word(shape, name)
        if t in ("integer", "long"):
            lo = shape.metadata.get("min", 1)
            hi = shape.metadata.get("max", 50)
            return int(max(lo, min(hi, self.rng.randint(1, 50))))
        if t in ("float", "double"):
            lo = shape.metadata.get("min", 1)
            return float(max(lo, 1.5))
        if t == "boolean":
            return True
        if t == "timestamp":
            return datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        if t == "blob":
            return b"data-" + str(self.rng.randint(0, 99)).encode()
        raise Skip("shape type " + t)


class Skip(Exception):
    pass


def jsonable(v):
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return None
    if isinstance(v, datetime.datetime):
        return None
    if isinstance(v, float):
        return None
    return v


def rest_string(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    return None


def expect_params(protocol, op_model, params, body):
    """The parameters botocore put in, as awsmodel reports them."""
    if protocol == "json":
        return json.loads(body) if body.strip() else {}
    if protocol in ("query", "ec2"):
        out = {}
        for k, v in urllib.parse.parse_qsl(body.decode(), keep_blank_values=True):
            if k not in ("Action", "Version"):
                out.setdefault(k, v)
        return out
    inp = op_model.input_shape
    if protocol == "smithy-rpc-v2-cbor":
        return {k: (v if isinstance(v, str) else None) for k, v in params.items()}
    out = {}
    payload = inp.serialization.get("payload") if inp else None
    for name, v in params.items():
        ms = inp.members[name]
        loc = ms.serialization.get("location")
        if loc in ("uri", "querystring", "header"):
            if ms.type_name == "list":
                items = [rest_string(x) for x in v]
                out[name] = items if None not in items and ms.member.type_name != "timestamp" else None
            elif ms.type_name == "map":
                out[name] = {k: rest_string(x) for k, x in v.items()}
            elif ms.type_name in ("timestamp", "float", "double", "blob") or ms.serialization.get("jsonvalue") \
                    or name.endswith("SSECustomerKey"):  # botocore base64-encodes SSE-C keys
                out[name] = None
            else:
                out[name] = rest_string(v)
        elif loc == "headers":
            out[name] = {k.lower(): x for k, x in v.items()}
    if protocol == "rest-json":
        if payload:
            ps = inp.members[payload]
            if ps.type_name == "structure" and payload in params and body.strip():
                out[payload] = json.loads(body)
        elif body.strip():
            for k, v in json.loads(body).items():
                out.setdefault(k, v)
    return out


def signing_groups(session):
    groups = {}
    for name in session.get_available_services():
        m = session.get_service_model(name)
        sn = m.metadata.get("signingName") or m.endpoint_prefix
        groups.setdefault(sn, []).append(name)
    return groups


def make_client(session, service, protocol, shared):
    endpoint = GW + "/svc/" + service if shared and service != "s3" else GW
    cfg = Config(inject_host_prefix=False, retries={"max_attempts": 1}, s3={"addressing_style": "path"},
                 parameter_validation=True, request_checksum_calculation="when_required")
    c = session.create_client(service, region_name="us-west-2", endpoint_url=endpoint, config=cfg)
    if protocol != c.meta.service_model.resolved_protocol:
        c._serializer = botocore.serialize.create_serializer(protocol, include_validation=True)
    return c


def capture(client, op_name, params):
    seen = {}

    def before_send(request, **kw):
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        seen["req"] = (request.method, request.url, dict(request.headers.items()), body)
        return AWSResponse(request.url, 599, {}, Raw(b""))

    client.meta.events.register("before-send", before_send)
    py_name = client.meta.method_to_api_mapping
    method = {v: k for k, v in py_name.items()}[op_name]
    try:
        getattr(client, method)(**params)
    except Exception:
        pass  # the canned 599 never parses
    return seen.get("req")


def header_str(v):
    return v.decode() if isinstance(v, bytes) else v


# The signing time is replaced so that the corpus regenerates byte for byte.
FIXED_DATE = "20260101T000000Z"


def redact(name, value):
    n = name.lower()
    if n == "x-amz-security-token":
        return "REDACTED"
    if n == "x-amz-date":
        return FIXED_DATE
    if n == "authorization":
        value = re.sub(r"Signature=[0-9a-f]+", "Signature=REDACTED", value)
        return re.sub(r"(Credential=[^/]+/)\d{8}/", r"\g<1>" + FIXED_DATE[:8] + "/", value)
    return value


def main():
    rng = random.Random(SEED)
    # botocore fills idempotency tokens with uuid4: make them seeded too.
    tokens = random.Random(SEED)
    uuid.uuid4 = lambda: uuid.UUID(int=tokens.getrandbits(128), version=4)
    session = botocore.session.get_session()
    session.set_credentials("AKIDEXAMPLE", "not-a-real-secret", "not-a-real-token")
    groups = signing_groups(session)
    entries, skipped = [], {}
    for service in sorted(session.get_available_services()):
        model = session.get_service_model(service)
        if model.signature_version not in ("v4", "s3", "s3v4"):
            continue  # SigV2 (sdb, importexport) and bearer tokens: jitgate takes SigV4 only
        sn = model.metadata.get("signingName") or model.endpoint_prefix
        shared = len(groups[sn]) > 1
        protocols = [p for p in (model.metadata.get("protocols") or [model.protocol]) if p in SUPPORTED]
        default = model.resolved_protocol
        ops = sorted(model.operation_names)
        for protocol in [default] + [p for p in protocols if p != default]:
            n = OPS_PER_SERVICE if protocol == default else ALT_PROTOCOL_OPS
            if service == "s3" and protocol == default:
                n = 40  # S3 shares URIs across operations: sample it densely
            if service in ("ec2", "iam", "sts", "sqs", "sns", "dynamodb", "lambda", "cloudwatch") and protocol == default:
                n = 12
            client = make_client(session, service, protocol, shared)
            for op_name in rng.sample(ops, min(n, len(ops))):
                op_model = model.operation_model(op_name)
                gen = Gen(rng, service)
                try:
                    params = gen.value(op_model.input_shape, "", 0, 0.5) if op_model.input_shape else {}
                except Skip as e:
                    skipped[str(e)] = skipped.get(str(e), 0) + 1
                    continue
                if op_model.endpoint_discovery is not None and op_model.endpoint_discovery.get("required"):
                    skipped["endpoint discovery"] = skipped.get("endpoint discovery", 0) + 1
                    continue
                got = capture(client, op_name, params)
                if got is None:
                    skipped["botocore refused the input"] = skipped.get("botocore refused the input", 0) + 1
                    continue
                method, url, headers, body = got
                try:
                    expect = expect_params(protocol, op_model, params, body)
                except ValueError:
                    # cloudsearchdomain Search: botocore moves the query string
                    # into a form body, which the model does not describe.
                    skipped["body the model does not describe"] = skipped.get("body the model does not describe", 0) + 1
                    continue
                u = urllib.parse.urlsplit(url)
                entries.append({
                    "service": service,
                    "operation": op_name,
                    "protocol": protocol,
                    "method": method,
                    "target": u.path + ("?" + u.query if u.query else ""),
                    "headers": {k: redact(k, header_str(v)) for k, v in headers.items() if k.lower() not in DROP_HEADERS},
                    "body": base64.b64encode(body).decode(),
                    "expect": expect,
                })
    doc = {"botocore": botocore.__version__, "seed": SEED, "entries": entries}
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    with open(OUT, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as f:
        f.write(raw)
    counts = {}
    for e in entries:
        counts[e["protocol"]] = counts.get(e["protocol"], 0) + 1
    print(f"{len(entries)} requests ({counts}); skipped {skipped}; {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
