#!/usr/bin/env python3
"""Capture requests exactly as botocore sends them, for awsmodel's tests.

Each call is signed by botocore with dummy credentials; a before-send handler
records the prepared request and answers it with a canned response, so nothing
leaves the process. Output: one JSON file per case in this directory.

    python3 internal/awsmodel/testdata/botocore/capture.py
"""
import base64
import json
import os
import re

import botocore
import botocore.session
from botocore.awsrequest import AWSResponse

HERE = os.path.dirname(os.path.abspath(__file__))
GW = "http://127.0.0.1:8443"


class Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kw):
        yield self.body


def redact(name, value):
    if name.lower() == "x-amz-security-token":
        return "REDACTED"
    if name.lower() == "authorization":
        return re.sub(r"Signature=[0-9a-f]+", "Signature=REDACTED", value)
    return value


def client(service, endpoint):
    s = botocore.session.get_session()
    s.set_credentials("AKIDEXAMPLE", "not-a-real-secret", "not-a-real-token")
    return s.create_client(service, region_name="us-west-2", endpoint_url=endpoint)


def capture(name, service, endpoint, op, status=200, resp=b"{}", headers=None, **kwargs):
    c = client(service, endpoint)
    seen = {}

    def before_send(request, **kw):
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        seen["req"] = {
            "botocore": botocore.__version__,
            "service": service,
            "method": request.method,
            "url": request.url,
            # The signature and the token are replaced: fixtures carry no secrets.
            "headers": {k: redact(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()},
            "body": base64.b64encode(body).decode(),
        }
        return AWSResponse(request.url, status, headers or {}, Raw(resp))

    c.meta.events.register("before-send", before_send)
    try:
        getattr(c, op)(**kwargs)
    except Exception:
        pass  # canned responses need not parse
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(seen["req"], f, indent=1, sort_keys=True)
        f.write("\n")


capture("s3_putobject", "s3", GW, "put_object", resp=b"",
        Bucket="my-bucket", Key="dir/hello world.txt", Body=b"hello", Metadata={"owner": "ann"})
capture("s3_uploadpart", "s3", GW, "upload_part", resp=b"",
        Bucket="my-bucket", Key="big.bin", PartNumber=2, UploadId="up1", Body=b"part")
capture("s3_listbuckets", "s3", GW, "list_buckets", resp=b"<ListAllMyBucketsResult/>")
capture("dynamodb_putitem", "dynamodb", GW + "/svc/dynamodb", "put_item",
        TableName="orders", Item={"id": {"S": "1"}})
capture("sqs_sendmessage", "sqs", GW, "send_message",
        QueueUrl="https://sqs.us-west-2.amazonaws.com/123456789012/q", MessageBody="hi")
capture("cloudwatch_putmetricdata", "cloudwatch", GW, "put_metric_data",
        Namespace="app", MetricData=[{"MetricName": "latency", "Value": 1.5}])
capture("sts_assumerole", "sts", GW, "assume_role", resp=b"<x/>",
        RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="agent-1")
capture("s3_deleteobjects", "s3", GW, "delete_objects", resp=b"<DeleteResult/>",
        Bucket="my-bucket", Delete={"Objects": [{"Key": "a.txt"}, {"Key": "b & c.txt", "VersionId": "v1"}], "Quiet": True})
capture("s3_completemultipartupload", "s3", GW, "complete_multipart_upload", resp=b"<CompleteMultipartUploadResult/>",
        Bucket="my-bucket", Key="big.bin", UploadId="up1",
        MultipartUpload={"Parts": [{"ETag": '"e1"', "PartNumber": 1}, {"ETag": '"e2"', "PartNumber": 2}]})
capture("s3_createbucket", "s3", GW, "create_bucket", resp=b"",
        Bucket="my-bucket", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
capture("s3_copyobject", "s3", GW, "copy_object", resp=b"<CopyObjectResult/>",
        Bucket="my-bucket", Key="dst.txt", CopySource="src-bucket/src.txt")
capture("s3_listobjectsv2", "s3", GW, "list_objects_v2", resp=b"<ListBucketResult/>",
        Bucket="my-bucket", Prefix="logs/", Delimiter="/")
