#!/usr/bin/env python3
"""Generate golden SigV4 requests signed by botocore for the sigv4 tests.

Run from this directory:  python3 gen_botocore.py
It needs botocore (1.43 was used) and no network: a 'before-send' hook
captures each prepared request exactly as botocore would put it on the
wire and answers with a canned response. The signing clock is pinned, so
signatures are reproducible (unsigned headers such as User-Agent and
amz-sdk-invocation-id vary from run to run). Each case is written to botocore/<name>.json:

  {name, botocore, method, url, headers: [[k, v], ...], body_b64,
   access_key, secret_key, session_token, signed_at, signing_name,
   region, presigned, payload_b64}

payload_b64 is the body the service would see after aws-chunked
decoding (equal to the body for ordinary requests).
"""

import base64
import datetime
import io
import json
import os
from unittest import mock

import botocore
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

SIGNED_AT = datetime.datetime(2026, 11, 26, 12, 34, 56)
ACCESS_KEY = "AKIDJITGATEEXAMPLE01"
SECRET_KEY = "jitgate/Example+Secret=Key0123456789abcd"
SESSION_TOKEN = "jg1.session-token/with+odd=chars.0123456789"
HERE = os.path.dirname(os.path.abspath(__file__))


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, *args, **kwargs):
        yield self._body


def _read_body(body):
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "seek"):
        body.seek(0)
    data = body.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _aws_chunked_payload(body, headers):
    encodings = headers.get("Content-Encoding", "")
    if "aws-chunked" not in encodings:
        return body
    out, rest = b"", body
    while True:
        line, rest = rest.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return out
        out += rest[:size]
        rest = rest[size + 2:]


def _client(service, endpoint, token=True, **config):
    session = botocore.session.get_session()
    session.set_credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN if token else None)
    cfg = Config(retries={"max_attempts": 1}, **config)
    return session.create_client(
        service, region_name="us-east-1", endpoint_url=endpoint, config=cfg
    )


def _write(name, signing_name, method, url, headers, body, token, presigned):
    headers = [[k, v if isinstance(v, str) else v.decode()] for k, v in headers]
    fixture = {
        "name": name,
        "botocore": botocore.__version__,
        "method": method,
        "url": url,
        "headers": headers,
        "body_b64": base64.b64encode(body).decode(),
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "session_token": SESSION_TOKEN if token else "",
        "signed_at": SIGNED_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signing_name": signing_name,
        "region": "us-east-1",
        "presigned": presigned,
        "payload_b64": base64.b64encode(
            _aws_chunked_payload(body, dict(headers))
        ).decode(),
    }
    path = os.path.join(HERE, "botocore", name + ".json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def capture(name, signing_name, client, op, token=True, response=b"", **params):
    """Call op on client, capture the request, write the fixture."""
    seen = {}

    def before_send(request, **kwargs):
        seen["request"] = request
        return AWSResponse(request.url, 200, {}, _Raw(response))

    client.meta.events.register("before-send", before_send)
    try:
        getattr(client, op)(**params)
    except Exception:  # the canned response may not parse; the request is what matters
        pass
    req = seen["request"]
    _write(name, signing_name, req.method, req.url, list(req.headers.items()),
           _read_body(req.body), token, False)


def presign(name, signing_name, client, op, params, method=None, token=True, expires=900):
    url = client.generate_presigned_url(
        op, Params=params, ExpiresIn=expires, HttpMethod=method
    )
    _write(name, signing_name, method or "GET", url, [], b"", token, True)


def main():
    odd_key = "dir/my file+x=y ü~*'(),;:@$&!.txt"
    https = "https://gw.example.test:8443"
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: SIGNED_AT):
        s3 = _client("s3", https, s3={"addressing_style": "path"}, signature_version="s3v4")
        capture("s3_put_object_aws_chunked", "s3", s3, "put_object",
                Bucket="bucket", Key=odd_key, Body=b"hello aws-chunked world\n" * 40)
        capture("s3_put_object_aws_chunked_sha256", "s3", s3, "put_object",
                Bucket="bucket", Key="k", Body=io.BytesIO(b"sha-checksummed\n" * 3),
                ChecksumAlgorithm="SHA256")
        capture("s3_get_object_token", "s3", s3, "get_object",
                Bucket="bucket", Key=odd_key, Range="bytes=0-9")
        capture("s3_list_objects_v2", "s3", s3, "list_objects_v2",
                Bucket="bucket", Prefix="a b/c+d=e&f", Delimiter="/", MaxKeys=7,
                response=b"<ListBucketResult/>")
        s3http = _client("s3", "http://127.0.0.1:9000", token=False,
                         s3={"addressing_style": "path"}, signature_version="s3v4")
        capture("s3_put_object_http_signed_payload", "s3", s3http, "put_object", token=False,
                Bucket="bucket", Key="plain key.txt", Body=b"signed payload body",
                Metadata={"note": "  spaced    out   value "}, ContentType="text/plain")
        presign("s3_presign_get_token", "s3", s3, "get_object",
                {"Bucket": "bucket", "Key": odd_key})
        presign("s3_presign_put", "s3", s3http, "put_object",
                {"Bucket": "bucket", "Key": "up load/ü.bin"}, method="PUT", token=False,
                expires=3600)

        ddb = _client("dynamodb", https)
        capture("dynamodb_put_item_token", "dynamodb", ddb, "put_item",
                TableName="jobs", Item={"id": {"S": "a b ü"}, "n": {"N": "42"}},
                response=b"{}")
        sts = _client("sts", "http://127.0.0.1:8080", token=False)
        capture("sts_get_caller_identity", "sts", sts, "get_caller_identity", token=False)
        presign("sts_presign_get_caller_identity", "sts", sts, "get_caller_identity", {},
                method="GET", token=False)
        sts_date = _client("sts", "http://127.0.0.1:8080", token=False)
        sts_date.meta.events.register(
            "before-sign", lambda request, **kw: request.headers.__setitem__("Date", "x"))
        capture("sts_get_caller_identity_date_header", "sts", sts_date, "get_caller_identity",
                token=False)
        lam = _client("lambda", https)
        capture("lambda_invoke_arn_double_encoded", "lambda", lam, "invoke",
                FunctionName="arn:aws:lambda:us-east-1:123456789012:function:my-fn:live",
                Payload=b'{"k": "v w"}')
        ec2 = _client("ec2", https)
        capture("ec2_describe_instances_filters", "ec2", ec2, "describe_instances",
                Filters=[{"Name": "tag:Name", "Values": ["web server", "a+b=c"]}],
                response=b"<DescribeInstancesResponse/>")


if __name__ == "__main__":
    main()
