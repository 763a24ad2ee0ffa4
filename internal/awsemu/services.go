package awsemu

// Services are the botocore service ids of the services the emulator
// (kumo v0.33) implements. The executor sends nothing else to it (see
// executor.Config.UpstreamServices): a request for a service the emulator
// lacks could otherwise be routed, by its signing name and path, to a
// service it has.
func Services() []string {
	return []string{
		"acm", "amp", "amplify", "apigateway", "apigatewayv2", "appmesh", "appsync", "athena",
		"backup", "batch", "ce", "cloudcontrol", "cloudformation", "cloudfront", "cloudtrail",
		"cloudwatch", "codeconnections", "codeguru-reviewer", "codeguruprofiler", "cognito-idp",
		"comprehend", "config", "dataexchange", "dlm", "docdb", "ds", "dynamodb", "dynamodbstreams",
		"ebs", "ec2", "ecr", "ecs", "eks", "elasticache", "elasticbeanstalk", "elbv2", "emr-serverless",
		"entityresolution", "events", "finspace", "firehose", "forecast", "gamelift", "glacier",
		"globalaccelerator", "glue", "iam", "kafka", "kinesis", "kms", "lambda", "location", "logs",
		"macie2", "memorydb", "mq", "neptune", "organizations", "pinpoint-sms-voice-v2", "pipes",
		"rds", "redshift", "rekognition", "resiliencehub", "route53", "route53resolver", "s3",
		"s3control", "s3tables", "sagemaker", "scheduler", "secretsmanager", "securitylake",
		"service-quotas", "ses", "sesv2", "sns", "sqs", "ssm", "stepfunctions", "sts",
		"verifiedpermissions", "xray",
	}
}
