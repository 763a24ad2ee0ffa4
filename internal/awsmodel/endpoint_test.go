package awsmodel

import (
	"errors"
	"testing"
)

func TestEndpoint(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		service, region string
		want            Endpoint
	}{
		{"s3", "us-west-2", Endpoint{URL: "https://s3.us-west-2.amazonaws.com", SigningName: "s3", SigningRegion: "us-west-2", Partition: "aws"}},
		{"s3", "us-east-1", Endpoint{URL: "https://s3.us-east-1.amazonaws.com", SigningName: "s3", SigningRegion: "us-east-1", Partition: "aws"}},
		{"s3", "aws-global", Endpoint{URL: "https://s3.amazonaws.com", SigningName: "s3", SigningRegion: "us-east-1", Partition: "aws"}},
		{"dynamodb", "eu-west-1", Endpoint{URL: "https://dynamodb.eu-west-1.amazonaws.com", SigningName: "dynamodb", SigningRegion: "eu-west-1", Partition: "aws"}},
		{"iam", "eu-west-1", Endpoint{URL: "https://iam.amazonaws.com", SigningName: "iam", SigningRegion: "us-east-1", Partition: "aws"}},
		{"iam", "us-east-1", Endpoint{URL: "https://iam.amazonaws.com", SigningName: "iam", SigningRegion: "us-east-1", Partition: "aws"}},
		{"route53", "ap-southeast-2", Endpoint{URL: "https://route53.amazonaws.com", SigningName: "route53", SigningRegion: "us-east-1", Partition: "aws"}},
		{"sts", "eu-central-1", Endpoint{URL: "https://sts.eu-central-1.amazonaws.com", SigningName: "sts", SigningRegion: "eu-central-1", Partition: "aws"}},
		{"sts", "us-east-1", Endpoint{URL: "https://sts.us-east-1.amazonaws.com", SigningName: "sts", SigningRegion: "us-east-1", Partition: "aws"}},
		{"cloudwatch", "us-east-2", Endpoint{URL: "https://monitoring.us-east-2.amazonaws.com", SigningName: "monitoring", SigningRegion: "us-east-2", Partition: "aws"}},
		{"lambda", "cn-north-1", Endpoint{URL: "https://lambda.cn-north-1.amazonaws.com.cn", SigningName: "lambda", SigningRegion: "cn-north-1", Partition: "aws-cn"}},
		{"iam", "cn-northwest-1", Endpoint{URL: "https://iam.cn-north-1.amazonaws.com.cn", SigningName: "iam", SigningRegion: "cn-north-1", Partition: "aws-cn"}},
		{"dynamodb", "us-gov-west-1", Endpoint{URL: "https://dynamodb.us-gov-west-1.amazonaws.com", SigningName: "dynamodb", SigningRegion: "us-gov-west-1", Partition: "aws-us-gov"}},
		// A region that is not listed yet but fits the partition's pattern.
		{"dynamodb", "eu-west-9", Endpoint{URL: "https://dynamodb.eu-west-9.amazonaws.com", SigningName: "dynamodb", SigningRegion: "eu-west-9", Partition: "aws"}},
	}
	for _, tt := range tests {
		t.Run(tt.service+" "+tt.region, func(t *testing.T) {
			got, err := ix.Endpoint(tt.service, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Endpoint = %+v\nwant       %+v", got, tt.want)
			}
		})
	}
}

func TestEndpointErrors(t *testing.T) {
	ix := mustLoad(t)
	tests := []struct {
		name, service, region string
		want                  error
	}{
		{"unknown service", "nope", "us-east-1", ErrUnknownService},
		{"empty region", "s3", "", ErrUnknownRegion},
		{"host injection", "s3", "evil.com/x", ErrUnknownRegion},
		{"dot in region", "s3", "us-east-1.evil", ErrUnknownRegion},
		{"unknown region", "s3", "mars-north-1", ErrUnknownRegion},
		{"dynamodb local is not AWS", "dynamodb", "local", ErrUnknownRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.Endpoint(tt.service, tt.region)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Endpoint = %+v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
