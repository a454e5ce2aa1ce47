# Creates an IAM user in a moto server with a policy that allows all of S3 except one denied bucket,
# and prints its access key as JSON. Run while moto's auth checks are still off (its default).
import json
import sys

import boto3

endpoint, denied_bucket = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="skein-test", aws_secret_access_key="skein-test-secret")
iam.create_user(UserName="skein-reader")
policy = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{denied_bucket}", f"arn:aws:s3:::{denied_bucket}/*"]},
    ],
}
iam.put_user_policy(UserName="skein-reader", PolicyName="lake", PolicyDocument=json.dumps(policy))
key = iam.create_access_key(UserName="skein-reader")["AccessKey"]
print(json.dumps({"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}))
