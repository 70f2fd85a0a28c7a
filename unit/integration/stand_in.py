"""A stand-in for a deployed serverless-app stack, on this machine only.

- AWS APIs: moto's threaded server on 127.0.0.1, seeded like a deployed stack.
- CloudFront: a local HTTPS server (self-signed certificate) that serves the site and forwards
  `/api/*` to the REAL api Lambda handler (as API Gateway proxy events), whose DynamoDB and Kinesis
  calls go to moto; a plain HTTP server that redirects to it; `/site-bucket/...` answers like S3.
- The event source mapping: a thread that reads the moto stream and invokes the REAL stream
  consumer handler, which writes to the moto results bucket.
Each part can be switched to a broken state to prove the probes notice.
"""

from __future__ import annotations

import base64
import datetime
import importlib.util
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-west-2"
INDEX = "<!doctype html><html><body>webstack</body></html>"


def load_handler(folder: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"stand_in_{folder}", ROOT / "lambdas" / folder / "handler.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the probes' session trusts it explicitly)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class Behaviour:
    """Switches for broken states; the defaults are a healthy stack."""

    site_status: int = 200
    site_failures_left: int = 0  # eventually consistent: 503 this many times first
    redirect: bool = True
    bucket_public: bool = False
    api_broken: bool = False
    # A CDN still rolling out: an edge that is not updated yet answers 502 to GET/PATCH of an item
    # this many times (per method), although the POST went through.
    item_failures_left: dict[str, int] = field(default_factory=dict)
    # PATCHes that reach the API and are applied, but whose response is lost on the way back.
    patch_responses_lost: int = 0
    consumer_running: bool = True
    requests_seen: list[str] = field(default_factory=list)


class StandIn:
    def __init__(self, moto_url: str, workdir: Path) -> None:
        self.moto_url = moto_url
        self.behaviour = Behaviour()
        self.api = load_handler("api")
        self.consumer = load_handler("stream_consumer")
        self.cert, self._key = self_signed(workdir)
        self.names = {
            "table": "items-dev",
            "stream": "events-dev",
            "results": "results-123456789012-dev",
            "site": "site-123456789012-dev",
        }
        self._stop = threading.Event()

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.moto_url, region_name=REGION)

    # -- AWS side -----------------------------------------------------------------------------------
    def seed(self) -> dict[str, Any]:
        """Create what a deploy would have created; return the stack's outputs (typed)."""
        ddb, kinesis, s3, sns = (self.client(s) for s in ("dynamodb", "kinesis", "s3", "sns"))
        ddb.create_table(
            TableName=self.names["table"],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS"},
        )
        kinesis.create_stream(StreamName=self.names["stream"], ShardCount=1)
        kinesis.start_stream_encryption(
            StreamName=self.names["stream"], EncryptionType="KMS", KeyId="alias/aws/kinesis"
        )
        for bucket in (self.names["results"], self.names["site"]):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            )
        topic = sns.create_topic(Name="alerts-dev", Attributes={"KmsMasterKeyId": "alias/alerts-dev"})[
            "TopicArn"
        ]
        alarms = ["api-errors-dev", "stream-iterator-age-dev", "consumer-dlq-depth-dev"]
        cloudwatch = self.client("cloudwatch")
        for alarm in alarms:
            cloudwatch.put_metric_alarm(
                AlarmName=alarm,
                Namespace="AWS/Lambda",
                MetricName="Errors",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                AlarmActions=[topic],
            )
        private = self._network()
        functions = self._functions(private)
        acl_arn, stage_arn = self._api_waf()
        distribution_id, cdn_acl_arn = self._cdn()
        return {
            "region": REGION,
            "environmentSuffix": "dev",
            "tableName": self.names["table"],
            "streamName": self.names["stream"],
            "resultsBucketName": self.names["results"],
            "siteBucketName": self.names["site"],
            "snsTopicArn": topic,
            "alarmNames": alarms,
            "privateSubnetIds": private,
            "apiFunctionName": functions[0],
            "consumerFunctionName": functions[1],
            "apiStageArn": stage_arn,
            "apiWebAclArn": acl_arn,
            "cloudfrontDistributionId": distribution_id,
            "cdnWebAclArn": cdn_acl_arn,
        }

    def _network(self) -> list[str]:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        return [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{128 + i * 16}.0/20")["Subnet"]["SubnetId"]
            for i in range(2)
        ]

    def _functions(self, subnets: list[str]) -> list[str]:
        iam = self.client("iam")
        role = iam.create_role(
            RoleName="fn-dev",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        lam = self.client("lambda")
        names = ["api-dev", "consumer-dev"]
        for name in names:
            lam.create_function(
                FunctionName=name,
                Runtime="python3.13",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
                VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": []},
            )
        return names

    def _api_waf(self) -> tuple[str, str]:
        apigw, wafv2 = self.client("apigateway"), self.client("wafv2")
        api = apigw.create_rest_api(name="items-dev")["id"]
        root = apigw.get_resources(restApiId=api)["items"][0]["id"]
        apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        deployment = apigw.create_deployment(restApiId=api)["id"]
        apigw.create_stage(restApiId=api, stageName="v1", deploymentId=deployment)
        stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/v1"
        acl = self._web_acl(wafv2, "api-dev", "REGIONAL")
        wafv2.associate_web_acl(WebACLArn=acl, ResourceArn=stage_arn)
        return acl, stage_arn

    @staticmethod
    def _web_acl(wafv2: Any, name: str, scope: str) -> str:
        return str(
            wafv2.create_web_acl(
                Name=name,
                Scope=scope,
                DefaultAction={"Allow": {}},
                VisibilityConfig={
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": name,
                },
            )["Summary"]["ARN"]
        )

    def _cdn(self) -> tuple[str, str]:
        acl = self._web_acl(self.client("wafv2"), "cdn-dev", "CLOUDFRONT")
        distribution = self.client("cloudfront").create_distribution(
            DistributionConfig={
                "CallerReference": "stand-in",
                "Comment": "stand-in",
                "Enabled": True,
                "WebACLId": acl,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "site",
                            "DomainName": f"{self.names['site']}.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "MinTTL": 0,
                },
            }
        )
        return str(distribution["Distribution"]["Id"]), acl

    # -- the event source mapping -------------------------------------------------------------------
    def _consume_forever(self) -> None:
        kinesis = self.client("kinesis")
        stream = kinesis.describe_stream(StreamName=self.names["stream"])["StreamDescription"]
        shard = stream["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName=self.names["stream"], ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while not self._stop.wait(0.2):
            if not self.behaviour.consumer_running:
                continue
            batch = kinesis.get_records(ShardIterator=iterator, Limit=100)
            iterator = batch["NextShardIterator"]
            if batch["Records"]:
                event = {"Records": [self._record(stream["StreamARN"], shard, r) for r in batch["Records"]]}
                self.consumer.handler(event, None)

    @staticmethod
    def _record(arn: str, shard: str, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "eventSource": "aws:kinesis",
            "eventSourceARN": arn,
            "eventID": f"{shard}:{record['SequenceNumber']}",
            "kinesis": {
                "data": base64.b64encode(record["Data"]).decode(),
                "sequenceNumber": record["SequenceNumber"],
                "partitionKey": record["PartitionKey"],
                "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
            },
        }

    # -- HTTP side ----------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(
                self,
                status: int,
                body: str,
                content_type: str = "text/html",
                headers: dict[str, str] | None = None,
            ) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _serve(self) -> None:
                behaviour = stand_in.behaviour
                behaviour.requests_seen.append(f"{self.command} {self.path}")
                path = urlsplit(self.path).path
                if path.startswith("/api/"):
                    return self._api(path[len("/api") :])
                if path.startswith(f"/{stand_in.names['site']}/"):
                    return self._send(
                        200 if behaviour.bucket_public else 403,
                        INDEX if behaviour.bucket_public else "<Error>AccessDenied</Error>",
                        "application/xml",
                    )
                if behaviour.site_failures_left > 0:
                    behaviour.site_failures_left -= 1
                    return self._send(503, "warming up")
                return self._send(behaviour.site_status, INDEX if behaviour.site_status == 200 else "error")

            def _api(self, path: str) -> None:
                behaviour = stand_in.behaviour
                if behaviour.api_broken:
                    return self._send(
                        500, json.dumps({"message": "Internal server error"}), "application/json"
                    )
                if path.startswith("/items/") and behaviour.item_failures_left.get(self.command, 0) > 0:
                    behaviour.item_failures_left[self.command] -= 1
                    return self._send(502, "<html><body>502 Bad Gateway</body></html>")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else None
                event = {
                    "httpMethod": self.command,
                    "path": path,
                    "resource": path,
                    "headers": dict(self.headers),
                    "body": body,
                    "isBase64Encoded": False,
                    "pathParameters": None,
                    "requestContext": {"requestId": "stand-in", "stage": "v1"},
                }
                result = stand_in.api.handler(event, None)
                if self.command == "PATCH" and behaviour.patch_responses_lost > 0:
                    behaviour.patch_responses_lost -= 1
                    return self._send(502, "<html><body>502 Bad Gateway</body></html>")
                self._send(
                    result["statusCode"],
                    result.get("body") or "",
                    result.get("headers", {}).get("Content-Type", "application/json"),
                    {k: v for k, v in result.get("headers", {}).items() if k != "Content-Type"},
                )

            do_GET = do_POST = do_PATCH = _serve  # noqa: N815

        return Handler

    def _redirect_class(self, https_url: str) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Redirect(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if stand_in.behaviour.redirect:
                    self.send_response(301)
                    self.send_header("Location", https_url + self.path)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Redirect

    @contextmanager
    def running(self) -> Iterator[dict[str, str]]:
        """Serve everything; yield the URLs the probes are pointed at. Stops itself on exit."""
        https = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self._key)
        https.socket = context.wrap_socket(https.socket, server_side=True)
        https_url = f"https://127.0.0.1:{https.server_address[1]}"
        http = ThreadingHTTPServer(("127.0.0.1", 0), self._redirect_class(https_url))
        threads = [
            threading.Thread(target=https.serve_forever, daemon=True),
            threading.Thread(target=http.serve_forever, daemon=True),
            threading.Thread(target=self._consume_forever, daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            yield {
                "cloudfrontUrl": https_url,
                "httpUrl": f"http://127.0.0.1:{http.server_address[1]}",
                "apiUrl": f"{https_url}/api",
                "objectUrl": f"{https_url}/{self.names['site']}/index.html",
            }
        finally:
            self._stop.set()
            for server in (https, http):
                server.shutdown()
                server.server_close()
            time.sleep(0)
