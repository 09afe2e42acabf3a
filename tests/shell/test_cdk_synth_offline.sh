#!/usr/bin/env bash
# The CDK app synthesizes offline with the real CDK CLI (as `npx cdk deploy` would before deploying),
# with the network settings given as context; every function of ours is bundled and small, and the
# template passes cfn-lint and checkov (every check it skips is justified in the template's Metadata,
# backend-infra/lib/checkov.ts). The only synthesis of the suite that bundles (the jest tests do not).
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
# Our functions (NodejsFunction, index.handler); CDK's own providers ship prebuilt code.
# shellcheck disable=SC2016 # the quoted text is JavaScript, expanded by node, not by the shell
node -e '
  const [out, max] = [process.argv[1], 1.5 * 1024 * 1024];
  const { Resources } = require(`${out}/StudioBackup.template.json`);
  const bundles = Object.values(Resources)
    .filter(r => r.Type === "AWS::Lambda::Function" && r.Properties.Handler === "index.handler")
    .map(r => `${out}/asset.${r.Properties.Code.S3Key.replace(/\.zip$/, "")}/index.js`);
  const sizes = bundles.map(f => (require("fs").statSync(f, { throwIfNoEntry: false }) || { size: Infinity }).size);
  const bad = bundles.filter((f, i) => sizes[i] > max);
  if (bundles.length === 0 || bad.length) { console.error("missing or over 1.5 MiB:", bad); process.exit(1); }
' "$out"
"$root/.venv/bin/cfn-lint" "$template" || [ $(( $? & 2 )) -eq 0 ]
# checkov fails the test on any failed check; skipped ones carry their reason (checkov.skip).
"$root/.venv-checkov/bin/checkov" -f "$template" --framework cloudformation --compact --quiet \
  >"$out/checkov.log" 2>&1 || { cat "$out/checkov.log"; echo "checkov failed"; exit 1; }
