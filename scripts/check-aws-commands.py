#!/usr/bin/env python3
"""Checks every `aws …` command line of the docs and the shipped shell scripts against the AWS CLI.

Usage: .venv/bin/python scripts/check-aws-commands.py [--json] [FILE ...]

Without FILE: README.md, docs/**/*.md and every *.sh that git tracks. Commands are taken from
Markdown code blocks (sh, bash, shell, console or no language; a `$ ` prompt is dropped), from
inline code that starts with `aws `, and from shell scripts wherever `aws` is the command word,
also inside $(…) and `…`, across `\\` continuations, after assignments, `if`, `!`, `&&`, `|`.

Each command is checked with the awscli package and the botocore service models of the venv:
- the service and the operation (or an awscli customization such as `s3 cp`, `wait …`) exist;
- every `--option` is one of the operation's arguments (its input members in kebab case, or the
  customization's own argument table) or a global option; the AWS CLI v2-only globals
  --no-cli-pager, --cli-auto-prompt, --no-cli-auto-prompt and --cli-binary-format are accepted too;
- a complete command (not inline code, no bare `…`) then runs through the CLI's own parser and the
  SDK's parameter validation, stopped before anything is sent: required arguments, shorthand
  (`Key=Value,…`) and JSON values whose keys must be members of the structure, --query syntax.
  The high-level `s3` commands and the other customizations stop after their argument parsing.
A `$VAR`, `${…}`, `$(…)`, `<placeholder>` or `…` stands for a value the checker cannot know: an
argument that is only a placeholder gets a value of its type; errors about a placeholder's type,
length or range are not reported, unknown names always are. A `file://` value is not read.

Prints one line per problem, "FILE:LINE: COMMAND: PROBLEM", and exits 1 if there is one;
--json prints the files read and every command with its problems instead (for
backend-infra/test/aws-cli-commands.test.ts).
"""

import contextlib
import difflib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Before botocore reads the environment: no profile, config or instance metadata of this machine,
# and credentials that are never used (nothing is sent).
os.environ.update(
    AWS_ACCESS_KEY_ID="AKIDCHECKAWSCOMMANDS",
    AWS_SECRET_ACCESS_KEY="not-used",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    AWS_EC2_METADATA_DISABLED="true",
)
for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
    os.environ.pop(name, None)

import botocore.validate  # noqa: E402
from awscli.clidriver import ServiceCommand, create_clidriver  # noqa: E402
from awscli.customizations.commands import BasicCommand  # noqa: E402

# Global options of AWS CLI v2 that v1 (the venv's) does not have: accepted and left out of the run.
V2_GLOBALS = {"no-cli-pager": False, "cli-auto-prompt": False, "no-cli-auto-prompt": False, "cli-binary-format": True}
# Left out of the run after the name check: they would read this machine's config or log to stderr.
DROPPED_GLOBALS = {"profile", "debug"}
GLOBAL_DUMMIES = {"region": "us-east-1", "output": "json", "endpoint-url": "https://example.com", "query": "@"}
TYPE_DUMMIES = {
    "structure": "{}",
    "map": "{}",
    "list": "[]",
    "integer": "1",
    "long": "1",
    "float": "1.0",
    "double": "1.0",
    "timestamp": "2020-01-01T00:00:00Z",
}
SHELL_LANGS = {"", "sh", "bash", "shell", "console", "zsh", "shell-session", "shellsession"}
PH_OPEN, PH_CLOSE = "\ue000", "\ue001"  # marks a Markdown <placeholder> for the lexer
INLINE_PH = "ph"  # a placeholder inside a word (s3://$BUCKET/x -> s3://ph/x)


# ---------------------------------------------------------------------------------------------
# Finding the commands


@dataclass
class Word:
    parts: list  # ("lit", text) or ("ph", text)
    raw: str
    line: int

    def literal(self):
        return "".join(t for k, t in self.parts) if all(k == "lit" for k, _ in self.parts) else None


@dataclass
class Command:
    file: str
    line: int
    words: list
    partial: bool = False
    errors: list = field(default_factory=list)
    service: str = ""
    operation: str = ""

    @property
    def text(self):
        return " ".join(w.raw for w in self.words).replace(PH_OPEN, "").replace(PH_CLOSE, "")


class ShellLexer:
    """Just enough of the shell grammar to find simple commands and their words (see the docstring)."""

    RESERVED = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time"}
    # aws_logged: on-start.sh's wrapper that logs a failed command's error in one line.
    PREFIXES = {"command", "exec", "sudo", "nohup", "aws_logged"}

    def __init__(self, text, line=1):
        self.s, self.i, self.line = text, 0, line
        self.simple = []  # every simple command, nested ones included: (line, [Word])
        self.heredoc = False  # a << on this line: its body starts at the next one

    def run(self):
        self._script(closer=False)
        return self.simple

    def _peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def _script(self, closer):
        words, parts, start, word_line, in_word = [], [], 0, self.line, False
        skip_next = False  # the next word is a redirection's target
        depth = 0

        def end_word():
            nonlocal parts, in_word, skip_next
            if in_word:
                if skip_next:
                    skip_next = False
                else:
                    words.append(Word(parts, self.s[start : self.i], word_line))
            parts, in_word = [], False

        def end_command():
            end_word()
            if words:
                self.simple.append((words[0].line, list(words)))
            words.clear()

        def begin():
            nonlocal in_word, start, word_line
            if not in_word:
                in_word, start, word_line = True, self.i, self.line

        while self.i < len(self.s):
            c = self._peek()
            if c == "\\" and self._peek(1) == "\n":
                self.i += 2
                self.line += 1
            elif c == "\n":
                end_command()
                self.i += 1
                self.line += 1
                self._heredoc_bodies()
            elif c in " \t\r":
                end_word()
                self.i += 1
            elif c == "#" and not in_word:
                while self.i < len(self.s) and self._peek() != "\n":
                    self.i += 1
            elif c in "<>" or (c == "&" and self._peek(1) == ">"):
                if in_word and all(k == "lit" and t.isdigit() for k, t in parts):
                    parts, in_word = [], False  # the fd of 2>
                else:
                    end_word()
                op = c
                self.i += 1
                while self._peek() in "<>&|-" and self._peek() and len(op) < 3:
                    op += self._peek()
                    self.i += 1
                if op.startswith("<<") and not op.startswith("<<<"):
                    self.heredoc = True
                skip_next = True
            elif c in "|&;()":
                end_command()
                self.i += 1
                if c == "(":
                    depth += 1
                elif c == ")":
                    if depth == 0 and closer:
                        return
                    depth = max(0, depth - 1)
            elif c == "'":
                begin()
                j = self.s.find("'", self.i + 1)
                j = len(self.s) if j < 0 else j
                text = self.s[self.i + 1 : j]
                self.line += text.count("\n")
                parts.append(("lit", text))
                self.i = j + 1
            elif c == '"':
                begin()
                self.i += 1
                self._double_quoted(parts)
            elif c == "$":
                begin()
                self._dollar(parts)
            elif c == "`":
                begin()
                self._backtick(parts)
            elif c == PH_OPEN:
                begin()
                j = self.s.find(PH_CLOSE, self.i)
                parts.append(("ph", self.s[self.i + 1 : j]))
                self.i = j + 1
            elif c == "…":
                begin()
                parts.append(("ph", c))
                self.i += 1
            else:
                begin()
                if c == "\\":
                    self.i += 1
                    c = self._peek()
                parts.append(("lit", c))
                self.i += 1
        end_command()

    def _heredoc_bodies(self):
        # The delimiter words were dropped as redirection targets; read them back from the line.
        if not self.heredoc:
            return
        prev = self.s.rfind("\n", 0, self.i - 1)
        header = self.s[prev + 1 : self.i - 1]
        delims = [m.group(2) for m in re.finditer(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", header)]
        self.heredoc = False
        for delim in delims:
            while self.i < len(self.s):
                j = self.s.find("\n", self.i)
                j = len(self.s) if j < 0 else j
                body_line = self.s[self.i : j]
                self.i = j + 1
                self.line += 1
                if body_line.strip() == delim:
                    break

    def _double_quoted(self, parts):
        while self.i < len(self.s):
            c = self._peek()
            if c == '"':
                self.i += 1
                return
            if c == "\\" and self._peek(1) in '$`"\\\n':
                if self._peek(1) == "\n":
                    self.line += 1
                else:
                    parts.append(("lit", self._peek(1)))
                self.i += 2
            elif c == "$":
                self._dollar(parts)
            elif c == "`":
                self._backtick(parts)
            elif c == PH_OPEN:
                j = self.s.find(PH_CLOSE, self.i)
                parts.append(("ph", self.s[self.i + 1 : j]))
                self.i = j + 1
            elif c == "…":
                parts.append(("ph", c))
                self.i += 1
            else:
                if c == "\n":
                    self.line += 1
                parts.append(("lit", c))
                self.i += 1

    def _dollar(self, parts):
        start = self.i
        nxt = self._peek(1)
        if nxt == "(" and self._peek(2) == "(":
            depth, self.i = 0, self.i + 1
            while self.i < len(self.s):
                depth += {"(": 1, ")": -1}.get(self._peek(), 0)
                self.i += 1
                if depth == 0:
                    break
        elif nxt == "(":
            self.i += 2
            self._script(closer=True)  # its commands are found too
        elif nxt == "{":
            j = self.s.find("}", self.i)
            self.i = len(self.s) if j < 0 else j + 1
        elif nxt == "'":
            j = self.s.find("'", self.i + 2)
            parts.append(("lit", self.s[self.i + 2 : j]))
            self.i = j + 1
            return
        elif nxt and (nxt.isalnum() or nxt == "_"):
            self.i += 1
            if nxt.isdigit():
                self.i += 1
            else:
                while self._peek() and (self._peek().isalnum() or self._peek() == "_"):
                    self.i += 1
        elif nxt and nxt in "?$!#@*-":
            self.i += 2
        else:
            parts.append(("lit", "$"))
            self.i += 1
            return
        parts.append(("ph", self.s[start : self.i]))

    def _backtick(self, parts):
        j = self.i + 1
        while j < len(self.s) and self.s[j] != "`":
            j += 2 if self.s[j] == "\\" else 1
        inner = ShellLexer(self.s[self.i + 1 : j], self.line)
        self.simple.extend(inner.run())
        parts.append(("ph", self.s[self.i : j + 1]))
        self.line = inner.line
        self.i = j + 1


def is_assignment(word):
    lead = ""
    for kind, text in word.parts:
        if kind != "lit":
            break
        lead += text
    return re.match(r"[A-Za-z_][A-Za-z0-9_]*\+?=", lead) is not None


def aws_commands(simple_commands, file, partial=False):
    """The simple commands whose command word is `aws`, after assignments and prefixes."""
    found = []
    for line, words in simple_commands:
        k = 0
        while k < len(words) and (words[k].literal() in ShellLexer.RESERVED | ShellLexer.PREFIXES or is_assignment(words[k])):
            k += 1
        if k < len(words) and words[k].literal() == "aws":
            rest = words[k:]
            found.append(Command(file, rest[0].line, rest, partial))
    return found


def mark_placeholders(text):
    return re.sub(r"<[A-Za-z][^<>\n]*>", lambda m: PH_OPEN + m.group(0) + PH_CLOSE, text)


def commands_in_markdown(path, rel):
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    found, i = [], 0
    while i < len(lines):
        fence = re.match(r"^\s*(```+|~~~+)\s*([\w-]*)", lines[i])
        if fence:
            marker, lang = fence.group(1), fence.group(2).lower()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(marker):
                j += 1
            if lang in SHELL_LANGS:
                body = "\n".join(re.sub(r"^(\s*)[$%] ", r"\1", ln) for ln in lines[i + 1 : j])
                found += aws_commands(ShellLexer(mark_placeholders(body), i + 2).run(), rel)
            i = j + 1
            continue
        for m in re.finditer(r"(?<!`)`([^`\n]+)`(?!`)", lines[i]):
            if re.match(r"\s*aws\s", m.group(1)):
                found += aws_commands(ShellLexer(mark_placeholders(m.group(1)), i + 1).run(), rel, partial=True)
        i += 1
    return found


def commands_in_shell(path, rel):
    return aws_commands(ShellLexer(Path(path).read_text(encoding="utf-8")).run(), rel)


def default_sources():
    patterns = ["README.md", "docs/*.md", "docs/**/*.md", "*.sh"]
    try:
        listed = subprocess.run(
            ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        listed = [str(p.relative_to(ROOT)) for pattern in patterns for p in ROOT.glob(pattern.replace("*.sh", "**/*.sh"))]
    skip = ("node_modules/", ".venv/")
    return sorted({str(ROOT / p) for p in listed if not any(part in p for part in skip)})


def find_commands(paths):
    commands = []
    for path in paths:
        p = Path(path).resolve()
        rel = os.path.relpath(p, ROOT) if p.is_relative_to(ROOT) else str(path)
        commands += commands_in_markdown(p, rel) if p.suffix == ".md" else commands_in_shell(p, rel)
    return commands


# ---------------------------------------------------------------------------------------------
# Checking one command


class _Validated(Exception):
    """Raised where the SDK validates the parameters: nothing goes further."""

    def __init__(self, operation, errors):
        super().__init__(operation)
        self.operation, self.errors = operation, errors


def _stop_at_validation(self, parameters, operation_model):
    report = self._param_validator.validate(parameters, operation_model.input_shape)
    raise _Validated(operation_model.name, report._errors)


botocore.validate.ParamValidationDecorator.serialize_to_request = _stop_at_validation


def _no_run(self, parsed_args, parsed_globals):
    return 0


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def one_line(text):
    return re.sub(r"\s+", " ", str(text)).strip()


def close(name, names):
    near = difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(near)}?)" if near else ""


class Token:
    def __init__(self, word):
        self.line = word.line
        self.ellipsis = word.literal() in ("...",) or (len(word.parts) == 1 and word.parts[0] == ("ph", "…"))
        self.whole_ph = all(k == "ph" for k, _ in word.parts) and bool(word.parts)
        self.has_ph = any(k == "ph" for k, _ in word.parts)
        self.text = "".join(INLINE_PH if k == "ph" else t for k, t in word.parts)


def takes_value(arg):
    if getattr(arg, "positional_arg", False):
        return False
    action = getattr(arg, "_action", None) or getattr(arg, "action", None)
    return action not in ("store_true", "store_false", "version") and getattr(arg, "cli_type_name", "") != "boolean"


def children(node):
    if isinstance(node, ServiceCommand):
        return node._get_command_table()
    return getattr(node, "subcommand_table", None) or {}


def dummy_for(arg):
    model = getattr(arg, "argument_model", None)
    kind = model.type_name if model is not None else getattr(arg, "cli_type_name", "string")
    return TYPE_DUMMIES.get(kind, INLINE_PH)


def check(command):
    driver = create_clidriver()
    for cls in _subclasses(BasicCommand):
        if "_run_main" in cls.__dict__:
            cls._run_main = _no_run
    globals_table = driver._get_argument_table()
    tokens = [Token(w) for w in command.words[1:]]
    errors = command.errors

    # Service, operation and subcommands; global options before them.
    node, path, k = None, [], 0
    table = driver._get_command_table()
    while k < len(tokens):
        tok = tokens[k]
        sub = children(node) if node is not None else table
        if not sub:
            break
        if tok.text.startswith("--"):
            name = tok.text[2:].split("=", 1)[0]
            arg = globals_table.get(name)
            if arg is None and name not in V2_GLOBALS:
                if node is not None:
                    break
                errors.append(f"unknown global option --{name}" + close(name, globals_table))
                return
            has_value = V2_GLOBALS[name] if arg is None else takes_value(arg)
            k += 2 if has_value and "=" not in tok.text else 1
            continue
        if tok.ellipsis or tok.whole_ph:
            break
        if node is not None and any(getattr(a, "positional_arg", False) for a in getattr(node, "arg_table", {}).values()):
            if tok.text not in sub:
                break
        if tok.text not in sub:
            what = "service" if node is None else "operation" if len(path) == 1 else "subcommand"
            errors.append(f"unknown {what} {' '.join(['aws', *path, tok.text])}" + close(tok.text, sub))
            return
        node = sub[tok.text]
        path.append(tok.text)
        k += 1
    if node is None:
        errors.append("no service named")
        return
    command.service = path[0]
    command.operation = " ".join(path[1:])
    if len(path) == 1:
        if command.partial:
            return
        errors.append(f"no operation after aws {path[0]}")
        return
    rest = tokens[k:]
    arg_table = node.arg_table

    # Every --option is the operation's or a global one.
    args, placeholder_members, partial = [], set(), command.partial
    j = 0
    while j < len(rest):
        tok = rest[j]
        if tok.ellipsis and not (j > 0 and rest[j - 1].text.startswith("--")):
            partial = True
            j += 1
            continue
        if not tok.text.startswith("--"):
            args.append(INLINE_PH if tok.whole_ph else tok.text)
            j += 1
            continue
        name, eq, inline_value = tok.text[2:].partition("=")
        arg = arg_table.get(name)
        if arg is not None and getattr(arg, "positional_arg", False):
            arg = None
        glob = globals_table.get(name) if arg is None else None
        if arg is None and glob is None and name not in V2_GLOBALS:
            errors.append(
                f"unknown option --{name} for aws {path[0]} {command.operation}"
                + close(name, [n for n, a in arg_table.items() if not getattr(a, "positional_arg", False)])
            )
            j += 1
            continue
        has_value = V2_GLOBALS[name] if name in V2_GLOBALS and arg is None and glob is None else takes_value(arg or glob)
        values = []
        if has_value and not eq:
            j += 1
            while j < len(rest) and not rest[j].text.startswith("--"):
                values.append(rest[j])
                j += 1
                multi = arg is not None and getattr(getattr(arg, "argument_model", None), "type_name", "") == "list"
                if not multi:
                    break
        else:
            j += 1
        if name in V2_GLOBALS and arg is None and glob is None or name in DROPPED_GLOBALS and arg is None:
            continue
        args.append("--" + name)
        if eq:
            values_text = [inline_value]
        else:
            values_text = []
            for v in values:
                if v.whole_ph or v.ellipsis or v.text.startswith(("file://", "fileb://")):
                    values_text.append(GLOBAL_DUMMIES.get(name, INLINE_PH) if glob is not None else dummy_for(arg))
                else:
                    values_text.append(v.text)
        if name in ("cli-input-json", "cli-input-yaml", "generate-cli-skeleton"):
            partial = True  # the arguments come from elsewhere
        if (eq and tok.has_ph) or any(v.has_ph or v.ellipsis or v.text.startswith(("file://", "fileb://")) for v in values):
            serialized = getattr(arg, "_serialized_name", None)
            if serialized:
                placeholder_members.add(serialized)
        args += values_text
    if errors or partial or node.__class__.__name__ == "HelpCommand":
        return

    # The CLI's own parsing and the SDK's validation, stopped before anything is sent.
    try:
        run_cli(driver, [*path, *args])
    except _Validated as done:
        for kind, name, extra in done.errors:
            top = re.split(r"[.\[]", name.lstrip("."))[0]
            if kind != "unknown field" and top in placeholder_members:
                continue
            errors.append(one_line(botocore.validate.ValidationErrors()._format_error((kind, name, extra))))
    except SystemExit as exited:
        errors.append(one_line(re.sub(r"^.*?error: ", "", str(exited.code))))
    except Exception as exc:  # UnknownArgumentError, ParamError, a bad --query, …
        errors.append(one_line(f"{exc}") or type(exc).__name__)


def run_cli(driver, args):
    """CLIDriver.main without its error printing, its profile handling and its output."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            table = driver._get_command_table()
            parser = driver._create_parser(table)
            parsed, remaining = parser.parse_known_args(args)
            driver.session.register("load-cli-arg", lambda value=None, **_: value)  # never read file:// or http://
            driver._handle_top_level_args(parsed, remaining)
            driver._emit_session_event(parsed)
            table[parsed.command](remaining, parsed)
    except SystemExit:
        lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
        raise SystemExit(lines[-1] if lines else "the CLI's parser refused the command")


def main(argv):
    as_json = "--json" in argv
    paths = [a for a in argv if a != "--json"] or default_sources()
    commands = find_commands(paths)
    for command in commands:
        check(command)
    if as_json:
        sources = [os.path.relpath(p, ROOT) if Path(p).resolve().is_relative_to(ROOT) else p for p in paths]
        print(json.dumps({"sources": sources, "commands": [
            {"file": c.file, "line": c.line, "command": c.text, "service": c.service,
             "operation": c.operation, "partial": c.partial, "errors": c.errors}
            for c in commands
        ]}, indent=1))
    else:
        for c in commands:
            for e in c.errors:
                print(f"{c.file}:{c.line}: {c.text}: {e}")
        bad = sum(1 for c in commands if c.errors)
        print(f"{len(commands)} aws commands in {len(paths)} files checked, {bad} with problems", file=sys.stderr)
    return 1 if any(c.errors for c in commands) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
