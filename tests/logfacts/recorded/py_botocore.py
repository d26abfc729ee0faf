# botocore against aws_stub.py (real HTTP, AWS's own error documents), a refused endpoint, an unresolvable
# one, and a client with no credentials; each failure logged with log.exception (retries: botocore's defaults).
import logging, os
import botocore.session
from botocore.config import Config

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("exporter")
for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(k, None)
os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
session = botocore.session.get_session()
cfg = Config(connect_timeout=0.5, read_timeout=0.5, retries={"max_attempts": 2})
keys = {"aws_access_key_id": "AKIAEXAMPLEEXAMPLE00", "aws_secret_access_key": "example/secret/example"}

def attempt(what: str, fn) -> None:
    try:
        fn()
    except Exception:
        log.exception("%s failed", what)

s3 = session.create_client("s3", region_name="eu-west-1", endpoint_url="http://127.0.0.1:18083", config=cfg, **keys)
attempt("export to s3://private-exports", lambda: s3.put_object(Bucket="private-exports", Key="a.csv", Body=b"x"))
attempt("list s3://missing-bucket", lambda: s3.list_objects_v2(Bucket="missing-bucket"))
attempt("read s3://busy-bucket", lambda: s3.get_object(Bucket="busy-bucket", Key="a.csv"))
ddb = session.create_client("dynamodb", region_name="eu-west-1", endpoint_url="http://127.0.0.1:18083", config=cfg, **keys)
attempt("query orders", lambda: ddb.query(TableName="orders", KeyConditionExpression="pk = :p",
                                          ExpressionAttributeValues={":p": {"S": "1"}}))
attempt("put order", lambda: ddb.put_item(TableName="orders", Item={"pk": {"S": "1"}}))
attempt("describe orders", lambda: ddb.describe_table(TableName="orders"))
down = session.create_client("sqs", region_name="eu-west-1", endpoint_url="http://127.0.0.1:18999", config=cfg, **keys)
attempt("poll queue", lambda: down.receive_message(QueueUrl="http://127.0.0.1:18999/1/jobs"))
far = session.create_client("sqs", region_name="eu-west-1", endpoint_url="http://sqs.eu-west-1.amazonaws.com.invalid", config=cfg, **keys)
attempt("poll queue", lambda: far.receive_message(QueueUrl="http://sqs.eu-west-1.amazonaws.com.invalid/1/jobs"))
anon = session.create_client("s3", region_name="eu-west-1", endpoint_url="http://127.0.0.1:18083", config=cfg)
attempt("upload report", lambda: anon.put_object(Bucket="reports", Key="r.csv", Body=b"x"))
