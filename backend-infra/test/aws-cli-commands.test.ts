/**
 * Every `aws …` command line an admin or a space runs from our files (README.md, docs/**.md, every
 * *.sh we track, lcc/on-start.sh among them) checked against the AWS CLI's own models: awscli and
 * botocore from PyPI in the project's .venv, through scripts/check-aws-commands.py. A wrong service,
 * operation, option or structure key fails one test here, with "FILE:LINE: COMMAND: PROBLEM".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const CHECKER = join(ROOT, 'scripts', 'check-aws-commands.py');

interface IChecked {
  file: string;
  line: number;
  command: string;
  service: string;
  operation: string;
  partial: boolean;
  errors: string[];
}

function runChecker(args: string[]) {
  const run = spawnSync(PYTHON, [CHECKER, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  });
  if (run.error || (run.status !== 0 && run.status !== 1)) {
    throw new Error(
      `check-aws-commands.py did not run (${run.error ?? run.status}): ${run.stderr}`
    );
  }
  return run;
}

function check(files: string[] = []): {
  sources: string[];
  commands: IChecked[];
} {
  return JSON.parse(runChecker(['--json', ...files]).stdout);
}

function problems(commands: IChecked[]): string[] {
  return commands.flatMap(c =>
    c.errors.map(e => `${c.file}:${c.line}: ${c.command}: ${e}`)
  );
}

// Found once, when the tests are collected: one test per command line.
const { sources, commands: checked } = check();

describe('the aws commands of our docs and scripts', () => {
  it.each(checked.map(c => [`${c.file}:${c.line} ${c.command}`, c] as const))(
    '%s',
    (_title, command) => {
      expect(problems([command])).toEqual([]);
    }
  );

  it('are all found: every line that starts an aws command is one the checker checked', () => {
    const found = new Set(checked.map(c => `${c.file}:${c.line}`));
    expect(sources).toEqual(
      expect.arrayContaining(['README.md', 'docs/deploy.md', 'lcc/on-start.sh'])
    );
    const missed: string[] = [];
    for (const file of sources) {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      let fenced = false;
      lines.forEach((text, i) => {
        const starts = file.endsWith('.md')
          ? /^\s*(```|~~~)/.test(text)
            ? ((fenced = !fenced), false)
            : fenced
              ? /^\s*(\$ )?aws\s/.test(text)
              : /`aws\s/.test(text)
          : /^(?!\s*#).*(^|[\s;&|(`]|\$\()aws\s+[a-z0-9]/.test(text);
        if (starts && !found.has(`${file}:${i + 1}`)) {
          missed.push(`${file}:${i + 1}: ${text.trim()}`);
        }
      });
    }
    expect(missed).toEqual([]);
    // The domain setting the docs tell the admin to make is checked in full, not only its name.
    const updateDomain = checked.filter(
      c => c.operation === 'update-domain' && !c.partial
    );
    expect([...new Set(updateDomain.map(c => c.file))].sort()).toEqual([
      'README.md',
      'docs/deploy.md'
    ]);
    expect(
      checked.filter(c => c.file === 'lcc/on-start.sh').length
    ).toBeGreaterThanOrEqual(5);
  });
});

describe('check-aws-commands.py', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'studio-backup-aws-commands-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes a file of these lines in the test's folder and returns its path. */
  function fixture(name: string, lines: string[]): string {
    const path = join(dir, name);
    writeFileSync(path, lines.join('\n'));
    return path;
  }

  it('names the file, the line, the command and the wrong name, one line each', () => {
    const doc = fixture('domain.md', [
      '# Domain',
      '',
      '```sh',
      '$ aws sagemaker update-domain --domain-id d-abc123 \\',
      '    --domain-settings-for-update ExecutionIdentityConfig=USER_PROFILE_NAME',
      '```',
      ''
    ]);
    const run = runChecker([doc]);
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n').filter(Boolean);
    const expected =
      `${doc}:4: aws sagemaker update-domain --domain-id d-abc123 --domain-settings-for-update ` +
      'ExecutionIdentityConfig=USER_PROFILE_NAME: Unknown parameter in DomainSettingsForUpdate: ' +
      '"ExecutionIdentityConfig", must be one of: ';
    expect(lines.map(line => line.slice(0, expected.length))).toEqual([
      expected
    ]);
    expect(lines[0]).toContain('ExecutionRoleIdentityConfig');
  });

  it('finds the commands of Markdown and shell wherever they are, and only those', () => {
    const doc = fixture('doc.md', [
      'Mentions: `aws s3 sync`, `aws sagemaker list-apps --domain-id-equals …`.', // 1
      '```sh', // 2
      'aws --region eu-west-1 sagemaker list-apps --domain-id-equals d-abc123 --no-cli-pager \\', // 3
      "  --query \"Apps[?Status=='InService' || Status=='Pending'].[SpaceName,Status]\" --output table", // 4
      'aws iam attach-role-policy --role-name <Studio execution role> --policy-arn <PolicyArn>', // 5
      'aws iam put-role-policy --role-name r --policy-name p --policy-document file://policy.json', // 6
      'aws --profile admin sts get-caller-identity', // 7
      'echo "aws s3 ls --not-a-command" # aws s3 rm --nor-this', // 8
      '```', // 9
      '```json', // 10
      '{"aws": "aws s3 ls --bogus"}', // 11
      '```' // 12
    ]);
    const script = fixture('start.sh', [
      '#!/bin/bash', // 1
      'wheel=$(aws s3 ls "$ARTIFACTS/" 2>/dev/null | awk \'{print $4}\' | sort)', // 2
      'if ! aws sagemaker describe-space --domain-id "$D" --space-name "$S" >/dev/null 2>&1; then', // 3
      '  FOO=1 aws s3 cp --only-show-errors "s3://$B/x" - | tar -xz && echo ok', // 4
      'fi', // 5
      'account=`aws sts get-caller-identity --query Account --output text`', // 6
      'cat <<EOF', // 7
      'aws s3 ls --in-a-heredoc', // 8
      'EOF', // 9
      'aws s3 mb "s3://$B" \\', // 10
      '  --region "$R"' // 11
    ]);
    const found = check([doc, script]).commands;
    expect(
      found.map(c => [c.line, c.service, c.operation, c.partial, c.errors])
    ).toEqual([
      [1, 's3', 'sync', true, []],
      [1, 'sagemaker', 'list-apps', true, []],
      [3, 'sagemaker', 'list-apps', false, []],
      [5, 'iam', 'attach-role-policy', false, []],
      [6, 'iam', 'put-role-policy', false, []],
      [7, 'sts', 'get-caller-identity', false, []],
      [2, 's3', 'ls', false, []],
      [3, 'sagemaker', 'describe-space', false, []],
      [4, 's3', 'cp', false, []],
      [6, 'sts', 'get-caller-identity', false, []],
      [10, 's3', 'mb', false, []]
    ]);
  });

  it('fails a wrong service, operation, option, key, missing argument or query', () => {
    const doc = fixture('wrong.md', [
      '`aws sagemaker list-apps --domain-id-equal …`', // 1
      '```sh', // 2
      'aws sagemakr list-apps', // 3
      'aws sagemaker lst-apps', // 4
      'aws s3 cp --only-show-erors s3://b/k -', // 5
      'aws sagemaker add-tags --resource-arn "$ARN" --tags Key=k,Valu=v', // 6
      'aws sagemaker update-domain --domain-id d-1 --default-user-settings \'{"ExecutionRol": "x"}\'', // 7
      'aws iam attach-role-policy --role-name r', // 8
      'aws sagemaker list-apps --query "Apps[?Status=="', // 9
      'aws sagemaker wait app-deleted --domain-id d', // 10
      'aws s3 cp s3://b/k', // 11
      '```'
    ]);
    const found = check([doc]).commands;
    expect(found.map(c => [c.line, c.errors])).toEqual([
      [
        1,
        [
          'unknown option --domain-id-equal for aws sagemaker list-apps (did you mean domain-id-equals?)'
        ]
      ],
      [
        3,
        [
          expect.stringMatching(
            /^unknown service aws sagemakr \(did you mean sagemaker/
          )
        ]
      ],
      [
        4,
        [
          expect.stringMatching(
            /^unknown operation aws sagemaker lst-apps \(did you mean list-apps/
          )
        ]
      ],
      [
        5,
        [
          'unknown option --only-show-erors for aws s3 cp (did you mean only-show-errors?)'
        ]
      ],
      [
        6,
        expect.arrayContaining([
          'Unknown parameter in Tags[0]: "Valu", must be one of: Key, Value'
        ])
      ],
      [
        7,
        [
          expect.stringMatching(
            /^Unknown parameter in DefaultUserSettings: "ExecutionRol", must be one of: ExecutionRole,/
          )
        ]
      ],
      [8, ['the following arguments are required: --policy-arn']],
      [
        9,
        [
          expect.stringMatching(
            /^Bad value for --query .*Invalid jmespath expression/
          )
        ]
      ],
      [
        10,
        [
          expect.stringMatching(
            /^unknown subcommand aws sagemaker wait app-deleted/
          )
        ]
      ],
      [11, ['the following arguments are required: paths']]
    ]);
  });
});
