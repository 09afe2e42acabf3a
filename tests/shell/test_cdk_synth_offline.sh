#!/usr/bin/env bash
# The CDK app synthesizes offline with the real CDK CLI (as `npx cdk deploy` would before deploying),
# with the network settings given as context, and the template passes cfn-lint.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root/backend-infra"
npx cdk synth --quiet -o "$out" \
  -c subnetArn=arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0abc \
  -c securityGroupArn=arn:aws:ec2:us-east-1:123456789012:security-group/sg-0abc \
  -c skipSeed=true >"$out/synth.log" 2>&1 || { cat "$out/synth.log"; exit 1; }
template="$out/StudioBackup.template.json"
for type in AWS::S3::Bucket AWS::DynamoDB::Table AWS::StepFunctions::StateMachine AWS::Events::Rule AWS::IAM::ManagedPolicy; do
  grep -q "\"$type\"" "$template" || { echo "no $type in the template"; exit 1; }
done
grep -q 'subnet-0abc' "$template" || { echo "the subnet context did not reach the template"; exit 1; }
if grep -q 'SeedExisting' "$template"; then echo "skipSeed=true still seeds"; exit 1; fi
"$root/.venv/bin/cfn-lint" "$template" || [ $(( $? & 2 )) -eq 0 ]
