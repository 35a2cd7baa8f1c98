#!/usr/bin/env python3
"""Holds every `vmpl` command shown in README.md and docs/*.md against the built binary.

What is checked, so that the documentation cannot drift from the code:
  - every `vmpl SUBCOMMAND [SUB-SUBCOMMAND]` shown exists (`vmpl --help`, `vmpl trace --help`);
  - every option a shown command uses is accepted by that subcommand (its `--help`, which is
    CLI11's, or the root's for global options such as `--color`);
  - every gdb command shown (`(gdb) vmpl find ...`, gdb's `vmpl dump`, a ```gdb block) is one that
    gdb/vmpl/commands.py registers;
  - every document and script named (docs/NAME.md, [text](NAME.md#anchor), NAME.md,
    scripts/NAME.sh) exists, and an anchor names a heading of that document;
  - every numbered section cited anywhere in the repository ("docs/semantics.md section 7.2",
    "docs/ring-format.md, section 4", "semantics.md sections 7.2 and 7.5") is a heading of that
    document, so that renumbering a document cannot leave the code citing the wrong section.

Where commands are found: each line of a fenced code block, up to a ` #` comment (a ```gdb
block, or a line starting with `(gdb)`, holds gdb commands; a ```text block, a listing or an
output, holds none), and each inline code span. A command starts at a `vmpl` word
(also `./build/default/cli/vmpl`) followed by a subcommand, and ends at a pipe, `&&`, `;`, `&`,
a `#` comment, a closing quote, a run of three spaces (the description column of a synopsis) or
`--` (what follows goes to another program). Placeholders are understood: `FILE`, `PID`, `<...>`
and `...` are arguments; `[--opt X]` is an optional option; `a|b` and `--a/--b` are
alternatives, each checked. An inline span is a gdb command when "gdb", "gdb's", "gdb
command(s)", "gdb parameter" or "(gdb)" immediately precedes it.

Usage: docs_commands_test.py --vmpl build/default/cli/vmpl --repo .
       docs_commands_test.py --self-test --vmpl build/default/cli/vmpl
Exit status 0 when everything named exists; 1 with one line per problem (file:line: what), or
when no command at all was found (a check of nothing proves nothing).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

# ---------------------------------------------------------------------------------------------
# What the binary accepts, from its --help.


@dataclass
class CommandHelp:
    """One (sub)command's interface as its CLI11 --help prints it."""

    path: tuple[str, ...]
    options: dict[str, bool] = field(default_factory=dict)  # name -> takes a value
    subcommands: set[str] = field(default_factory=set)
    takes_arguments: bool = False  # it has a "Positionals:" section


def parse_help(path: tuple[str, ...], text: str) -> CommandHelp:
    """Reads the OPTIONS and SUBCOMMANDS sections of CLI11's help output."""
    help_ = CommandHelp(path)
    section = ""
    for line in text.splitlines():
        heading = re.match(r"^([A-Za-z][A-Za-z ]*?)(?: \(.*\))?:\s*$", line)
        if heading:
            section = heading.group(1).upper()
            help_.takes_arguments |= section == "POSITIONALS"
            continue
        if not line.startswith("  ") or line.startswith("    " * 4):
            continue
        body = line.strip()
        if section == "OPTIONS" and body.startswith("-"):
            names_part, _, rest = body.partition(" ")
            # "-o,--output FILE", "--seed UINT=1", "--json    Print ...", "--scan Excludes: ...":
            # a value is named right after the names, one space away; a description is two or
            # more spaces away, and CLI11's "Excludes:"/"Needs:" notes belong to flags too.
            after = line.split(names_part, 1)[1]
            takes_value = (bool(rest) and not after.startswith("  ") and
                           not re.match(r"(Excludes|Needs):", rest))
            for name in names_part.split(","):
                name = re.sub(r"\{.*\}|=.*", "", name)
                if name.startswith("-"):
                    help_.options[name] = takes_value
        elif section == "SUBCOMMANDS":
            name = body.split()[0]
            if re.fullmatch(r"[a-z][a-z0-9-]*", name):
                help_.subcommands.add(name)
    return help_


class Binary:
    """The built vmpl, asked for each (sub)command's --help once."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._cache: dict[tuple[str, ...], CommandHelp] = {}

    def help(self, path: tuple[str, ...]) -> CommandHelp:
        if path not in self._cache:
            result = subprocess.run([self.path, *path, "--help"], capture_output=True, text=True,
                                    timeout=60, check=False)
            if result.returncode != 0:
                raise RuntimeError("%s %s --help exited %d: %s" %
                                   (self.path, " ".join(path), result.returncode, result.stderr))
            self._cache[path] = parse_help(path, result.stdout)
        return self._cache[path]


def gdb_command_names(repo: Path) -> set[str]:
    """The commands and parameters gdb/vmpl/commands.py registers ("vmpl list", ...)."""
    source = (repo / "gdb" / "vmpl" / "commands.py").read_text()
    return set(re.findall(r'super\(\).__init__\(\s*"([^"]+)"', source))


# ---------------------------------------------------------------------------------------------
# Where the docs show commands.


@dataclass
class Snippet:
    """A piece of code in a document: one line of a code block, or one inline span."""

    file: str
    line: int
    text: str
    in_block: bool
    gdb: bool  # the text is typed at gdb's prompt


_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_GDB_BEFORE_SPAN = re.compile(r"(?:\bgdb(?:'s)?(?: (?:commands?|parameters?))?|\(gdb\))\s*$")


def snippets(name: str, text: str) -> Iterator[Snippet]:
    """Yields the code of a Markdown document with the line each piece starts on."""
    lines = text.split("\n")
    prose = list(lines)  # the document with code blocks blanked, for inline spans
    fence: Optional[str] = None
    lang = ""
    pending: Optional[tuple[int, str]] = None  # a line ending in a backslash, continued
    for number, line in enumerate(lines, start=1):
        match = _FENCE.match(line)
        if fence is None and match:
            fence, lang = match.group(1), match.group(2).lower()
            prose[number - 1] = ""
            continue
        if fence is not None:
            prose[number - 1] = ""
            if line.strip().startswith(fence[:3]) and line.strip().strip(fence[0]) == "":
                fence = None
                continue
            if pending is not None:
                start, joined = pending
                line, number = joined + " " + line.strip(), start
            if line.rstrip().endswith("\\"):
                pending = (number, line.rstrip()[:-1])
                continue
            pending = None
            if lang == "text":
                continue  # a listing or an output, not commands
            line = re.split(r"(?<=\s)#", line, maxsplit=1)[0]  # a shell or gdb comment
            yield Snippet(name, number, line, True,
                          lang == "gdb" or line.lstrip().startswith("(gdb)"))
    joined = "\n".join(prose)
    for match in re.finditer(r"(`+)(.+?)\1", joined, re.DOTALL):
        before = joined[max(0, match.start() - 24):match.start()]
        yield Snippet(name, joined.count("\n", 0, match.start()) + 1,
                      match.group(2).replace("\n", " "), False,
                      bool(_GDB_BEFORE_SPAN.search(before)))


# ---------------------------------------------------------------------------------------------
# Commands in a snippet, and their check.

# `vmpl` as a command word, then a space: alone, or as the built binary (build/default/cli/vmpl,
# .../bin/vmpl). Not a directory such as core/include/vmpl.
_VMPL = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=['\"(]))(?:[\w./-]*/(?:cli|bin)/)?vmpl(?=[ \t])")
_ENDS = {"|", "||", "&&", ";", "&", "--", ">", "2>", "<"}
_WORD = re.compile(r"[a-z][a-z0-9-]*(?:\|[a-z][a-z0-9-]*)*")


def command_tokens(text: str, in_block: bool) -> list[str]:
    """The words of one command, up to where it ends."""
    if in_block:
        text = re.split(r" {3,}", text, maxsplit=1)[0]
    tokens: list[str] = []
    for token in text.split():
        if token in _ENDS or token.startswith("#") or token.startswith("$("):
            break
        closing = token[-1] in "'\"" and token.count(token[-1]) % 2 == 1
        stripped = token.rstrip(";'\"")
        if stripped:
            tokens.append(stripped)
        if closing or token.endswith(";"):
            break
    return tokens


def is_placeholder(token: str) -> bool:
    return (token in ("...", "…") or token.startswith("<") or
            bool(re.fullmatch(r"[A-Z][A-Z0-9_:.|-]*(\.\.\.)?", token)))


def option_names(token: str) -> list[str]:
    """`[--plot|--no-plot]` -> ['--plot', '--no-plot']; `--remote/--core` -> both;
    `--color=never` -> ['--color']."""
    token = token.strip("[](),.")
    token = token.split("=", 1)[0]
    return [part for part in re.split(r"[|/]", token) if re.fullmatch(r"--?[A-Za-z][\w-]*", part)]


@dataclass
class Finding:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return "%s:%d: %s" % (self.file, self.line, self.message)


class Checker:
    def __init__(self, binary: Binary, gdb_names: set[str]) -> None:
        self.binary = binary
        self.gdb_names = gdb_names
        self.findings: list[Finding] = []
        self.commands = 0
        self.gdb_commands = 0
        self.seen: set[str] = set()

    def fail(self, snippet: Snippet, what: str) -> None:
        self.findings.append(Finding(snippet.file, snippet.line, what))

    def check_snippet(self, snippet: Snippet) -> None:
        for match in _VMPL.finditer(snippet.text):
            before = snippet.text[:match.start()]
            gdb = snippet.gdb or bool(re.search(r"-ex\s+['\"]$", before))
            tokens = command_tokens(snippet.text[match.end():], snippet.in_block)
            if gdb:
                self.check_gdb(snippet, tokens)
            else:
                self.check_cli(snippet, tokens)

    def check_gdb(self, snippet: Snippet, tokens: list[str]) -> None:
        if not tokens or not _WORD.fullmatch(tokens[0]):
            return
        self.gdb_commands += 1
        for word in tokens[0].split("|"):
            if "vmpl " + word not in self.gdb_names:
                known = sorted(n[5:] for n in self.gdb_names if n.startswith("vmpl "))
                self.fail(snippet, "gdb command `vmpl %s` does not exist (gdb/vmpl/commands.py "
                          "registers: %s)" % (word, ", ".join(known)))

    def check_cli(self, snippet: Snippet, tokens: list[str]) -> None:
        shown = "`vmpl %s`" % " ".join(tokens)
        root = self.binary.help(())
        i = 0
        # Global options may come first: `vmpl --color never demo`.
        while i < len(tokens) and tokens[i].startswith("-"):
            names = option_names(tokens[i])
            for name in names:
                if name not in root.options:
                    self.fail(snippet, "%s: vmpl has no global option %s" % (shown, name))
            if names and root.options.get(names[0]) and "=" not in tokens[i]:
                i += 1
            i += 1
        if i >= len(tokens):
            if i > 0:
                self.commands += 1
            return
        first = tokens[i]
        if is_placeholder(first):
            return
        if not _WORD.fullmatch(first):
            return  # `vmpl` followed by something that is no command: a file name, say
        self.commands += 1
        self.seen.add(shown)
        i += 1
        leaves: list[tuple[str, ...]] = []
        for name in first.split("|"):
            if name not in root.subcommands:
                self.fail(snippet, "%s: vmpl has no subcommand '%s' (it has: %s)" %
                          (shown, name, ", ".join(sorted(root.subcommands))))
                continue
            path: tuple[str, ...] = (name,)
            group = self.binary.help(path)
            if group.subcommands and i < len(tokens) and _WORD.fullmatch(tokens[i]):
                for verb in tokens[i].split("|"):
                    if verb in group.subcommands:
                        leaves.append((name, verb))
                    else:
                        self.fail(snippet, "%s: vmpl %s has no subcommand '%s' (it has: %s)" %
                                  (shown, name, verb, ", ".join(sorted(group.subcommands))))
            else:
                leaves.append(path)
        if leaves and len(leaves[-1]) == 2:
            i += 1
        for leaf in leaves:
            self.check_options(snippet, shown, leaf, tokens[i:])

    def check_options(self, snippet: Snippet, shown: str, leaf: tuple[str, ...],
                      rest: list[str]) -> None:
        leaf_help = self.binary.help(leaf)
        accepted = dict(self.binary.help(()).options)
        accepted.update(leaf_help.options)
        j = 0
        argument_reported = False
        while j < len(rest):
            token = rest[j]
            j += 1
            bare = token.strip("[](),.")
            if bare == "--":
                return
            if not bare.startswith("-") or bare == "-" or re.match(r"-\d", bare):
                if (not leaf_help.takes_arguments and bare not in ("...", "…", "") and
                        not argument_reported):
                    self.fail(snippet, "%s: `vmpl %s` takes no argument, but '%s' is given" %
                              (shown, " ".join(leaf), token))
                    argument_reported = True
                continue
            names = option_names(bare)
            if not names:
                self.fail(snippet, "%s: cannot read '%s' as an option" % (shown, token))
                continue
            for name in names:
                if name not in accepted:
                    self.fail(snippet, "%s: `vmpl %s` has no option %s (it has: %s)" %
                              (shown, " ".join(leaf), name, " ".join(sorted(accepted))))
            if len(names) == 1 and accepted.get(names[0]) and "=" not in bare and j < len(rest):
                j += 1  # the option's value, which may itself start with '-'


# ---------------------------------------------------------------------------------------------
# Documents and scripts named.


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors for a document's headings."""
    anchors = set()
    for line in text.splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            title = re.sub(r"[^\w\- ]", "", match.group(1).lower())
            anchors.add(title.replace(" ", "-"))
    return anchors


def check_references(repo: Path, path: Path, text: str, findings: list[Finding]) -> int:
    """Checks the docs and scripts |text| names; returns how many it checked."""
    checked = 0
    name = str(path.relative_to(repo))
    outside_code = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text,
                          flags=re.DOTALL)
    for number, line in enumerate(text.split("\n"), start=1):
        for ref in re.findall(r"(?<![\w/.-])((?:docs|scripts)/[\w.-]+\.(?:md|sh))\b", line):
            checked += 1
            if not (repo / ref).is_file():
                findings.append(Finding(name, number, "%s does not exist" % ref))
    for number, line in enumerate(outside_code.split("\n"), start=1):
        for target, anchor in re.findall(r"\]\(([^)#\s:]+\.md)(?:#([^)\s]+))?\)", line):
            checked += 1
            file = (path.parent / target).resolve()
            if not file.is_file():
                findings.append(Finding(name, number, "link to %s: no such file" % target))
            elif anchor and anchor not in heading_anchors(file.read_text()):
                findings.append(Finding(name, number, "link to %s#%s: no such heading" %
                                        (target, anchor)))
        for bare in re.findall(r"(?<![\w/.(-])([\w-]+\.md)\b", line):
            checked += 1
            if not any((base / bare).is_file() for base in (path.parent, repo / "docs", repo)):
                findings.append(Finding(name, number, "%s is named but is not in the repository "
                                        "(docs/ or the top)" % bare))
    return checked


# Section numbers cited in code and docs: "docs/semantics.md section 4.4", "(docs/semantics.md
# 12.4, 12.5)", "semantics.md sections 7.2 and 7.5", "docs/ring-format.md, section 4".
_CITATION = re.compile(r"\b([\w-]+\.md),?\s+(?:sections?\s+)?"
                       r"(\d+(?:\.\d+)*(?:(?:,\s*|\s+and\s+|\s+to\s+)\d+(?:\.\d+)*)*)")
_SOURCE_SUFFIXES = {".h", ".cc", ".c", ".py", ".md", ".txt", ".cmake", ".json", ".sh"}


def section_numbers(text: str) -> set[str]:
    """The numbers of a document's numbered headings ("## 7. Zero intervals" -> "7")."""
    return set(re.findall(r"^#+\s+(\d+(?:\.\d+)*)\.?\s", text, re.MULTILINE))


def check_section_citations(repo: Path, findings: list[Finding]) -> int:
    """Checks every "NAME.md section N" citation in the repository's sources and documents."""
    checked = 0
    sections: dict[str, Optional[set[str]]] = {}
    for path in sorted(repo.rglob("*")):
        relative = path.relative_to(repo)
        if (path.suffix not in _SOURCE_SUFFIXES or not path.is_file() or
                any(part.startswith((".", "build")) for part in relative.parts)):
            continue
        text = path.read_text(errors="replace")
        # A citation may be wrapped over two comment lines: join them, keeping line numbers.
        joined = re.sub(r"\n[ \t]*(?://|#|\*)?[ \t]*", lambda m: " " * (len(m.group(0)) - 1) + "\n",
                        text)
        flat = joined.replace("\n", " ")
        for match in _CITATION.finditer(flat):
            name = match.group(1)
            if name not in sections:
                doc = next((d for d in (repo / "docs" / name, repo / name) if d.is_file()), None)
                sections[name] = section_numbers(doc.read_text()) if doc else None
            known = sections[name]
            if known is None:
                continue  # not a document of ours: reported by check_references if in the docs
            line = text.count("\n", 0, match.start()) + 1
            for number in re.findall(r"\d+(?:\.\d+)*", match.group(2)):
                checked += 1
                if number not in known:
                    findings.append(Finding(str(relative), line, "%s has no section %s" %
                                            (name, number)))
    return checked


# ---------------------------------------------------------------------------------------------


def documents(repo: Path) -> list[Path]:
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]


def run(binary: Binary, repo: Path, docs: list[Path]) -> tuple[Checker, int]:
    checker = Checker(binary, gdb_command_names(repo))
    references = 0
    for path in docs:
        text = path.read_text()
        for snippet in snippets(str(path.relative_to(repo)), text):
            checker.check_snippet(snippet)
        references += check_references(repo, path, text, checker.findings)
    return checker, references


def self_test(binary: Binary, repo: Path) -> int:
    """The checker must catch each kind of mistake, at the right line, and pass good text."""
    good = ("# Title\n\n## 1. One\n\n## 2. Two\n\nRun `vmpl demo --seed 7 --json` or\n\n```sh\n"
            "./build/default/cli/vmpl trace replay FILE [--at N] --check | less\n"
            "vmpl trace live -o t.vmpltrace -- vmpl sim --ops 10\n"
            "vmpl inspect|check --pid PID --layout FILE     the description column --nosuch\n"
            "```\n\n```gdb\n(gdb) vmpl dump list\n```\n\n"
            "and gdb's `vmpl stats`, [x](t.md#title), docs/t.md, scripts/test.sh.\n")
    bad = ("# Title\n\n`vmpl nosuch --json`\n\n```\nvmpl demo --nosuch\n"
           "vmpl trace nosuch FILE\nvmpl inspect --pid PID --scan-range A-B --nope\n"
           "vmpl tui demo\n```\n"
           "gdb's `vmpl nosuch`, docs/nosuch.md, scripts/nosuch.sh, [y](t.md#nosuch).\n")
    expected_bad = [(3, "no subcommand 'nosuch'"), (6, "no option --nosuch"),
                    (7, "vmpl trace has no subcommand 'nosuch'"), (8, "no option --nope"),
                    (9, "takes no argument, but 'demo'"), (11, "gdb command `vmpl nosuch`"),
                    (11, "docs/nosuch.md does not exist"), (11, "scripts/nosuch.sh does not exist"),
                    (11, "no such heading")]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs").mkdir()
        (root / "scripts").mkdir()
        (root / "gdb" / "vmpl").mkdir(parents=True)
        (root / "scripts" / "test.sh").write_text("")
        (root / "gdb" / "vmpl" / "commands.py").write_text(
            (repo / "gdb" / "vmpl" / "commands.py").read_text())
        (root / "docs" / "t.md").write_text(good)
        (root / "src.cc").write_text("// See docs/t.md section 1.\n// docs/t.md\n// sections 2 and 9.\n")
        checker, _ = run(binary, root, [root / "docs" / "t.md"])
        if checker.findings:
            failures.append("good text reported: %s" % "; ".join(map(str, checker.findings)))
        cited: list[Finding] = []
        citations = check_section_citations(root, cited)
        if citations != 3 or [(f.file, f.line, f.message) for f in cited] != [
                ("src.cc", 2, "t.md has no section 9")]:
            failures.append("section citations: %d checked, expected 3; reported: %s" %
                            (citations, "; ".join(map(str, cited))))
        if checker.commands != 5 or checker.gdb_commands != 2:
            failures.append("good text: %d commands and %d gdb commands, expected 5 and 2" %
                            (checker.commands, checker.gdb_commands))
        (root / "docs" / "t.md").write_text(bad)
        checker, _ = run(binary, root, [root / "docs" / "t.md"])
        for line, what in expected_bad:
            if not any(f.line == line and what in f.message for f in checker.findings):
                failures.append("not reported at line %d: %s (got: %s)" %
                                (line, what, "; ".join(map(str, checker.findings))))
        if len(checker.findings) != len(expected_bad):
            failures.append("bad text: %d findings, expected %d: %s" %
                            (len(checker.findings), len(expected_bad),
                             "; ".join(map(str, checker.findings))))
    for failure in failures:
        print("self-test: " + failure)
    print("self-test: %s" % ("FAILED" if failures else "ok"))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--vmpl", required=True, help="the built vmpl binary")
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parents[2]),
                        help="the repository's top (default: from this file's place)")
    parser.add_argument("--self-test", action="store_true",
                        help="check that the checker catches mistakes, on made-up documents")
    args = parser.parse_args()
    binary = Binary(args.vmpl)
    repo = Path(args.repo).resolve()
    if args.self_test:
        return self_test(binary, repo)

    checker, references = run(binary, repo, documents(repo))
    citations = check_section_citations(repo, checker.findings)
    for finding in checker.findings:
        print(finding)
    print("checked %d vmpl commands (%d different), %d gdb commands, %d names of documents and "
          "scripts, in %d files; %d section citations" %
          (checker.commands, len(checker.seen), checker.gdb_commands, references,
           len(documents(repo)), citations))
    if checker.commands == 0:
        print("no vmpl command found in the documents: the extraction is broken")
        return 1
    if checker.findings:
        print("%d problem(s): fix the documents (or the code, if an option it documents is "
              "missing)" % len(checker.findings))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
