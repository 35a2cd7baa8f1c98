#!/usr/bin/env python3
"""Drives `vmpl tui` in a real terminal: a detached tmux session of a fixed size.

The off-screen tests (tests/tui/*_test.cc) check the App and its views frame by frame; this one
checks what only a terminal shows: ncurses' keys and mouse decoding, the live refresh rate, the
colours and their absence, a resize (down to a screen too small for the panes), quitting back
to the shell, and every source end to end (the demo, a live process with a shared event ring, a
gcore core file, gdbserver, a trace file, and the QEMU kernel running through its gdb stub).

    tui_tmux_test.py --vmpl PATH --case demo|pid|core|remote|trace|kernel|bad-input
                     [--kernel vmpl-kernel.elf]   (the kernel case only)

Each case runs in a tmux server of its own (`tmux -L <unique socket>`), so cases may run in
parallel and one kill-server ends everything that ran in it. The screen is read with
`tmux capture-pane` and polled until it shows what is expected or a timeout passes: no check
needs a fixed sleep to pass. Keys go in with `tmux send-keys`; a mouse click goes in as the
bytes a terminal sends for it (`send-keys -l`), X10-encoded as the pane's terminfo announces
(tmux-256color and screen: kmous=\E[M). Sources that hold still (a core, a trace) are also
resized and compared cell for cell with `vmpl tui --print` at the same size, and the demo and
the trace take a few hundred random keys, clicks and resizes before they must quit normally.

Exit status: 0 pass, 1 fail (with what was expected and the last captured pane), 2 usage error,
77 skipped (the core case in a sanitizer build: gcore would dump the sanitizer's shadow memory).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Callable, Optional, TypeVar

T = TypeVar("T")

WIDTH = 160
HEIGHT = 48
# Long enough for an ASan build on a loaded machine; a passing case never waits this long.
TIMEOUT = 20.0
POLL = 0.05
SKIP = 77
# A case's whole budget, under CTest's TIMEOUT (120 s) so that a case running late still fails
# with its message and cleans up, rather than being killed with its processes left behind.
BUDGET = 100.0
budget_end = time.monotonic() + BUDGET
# The kernel runs under QEMU's software emulation, sharing the CPUs with other tests: it boots in
# seconds, prints a status line every 10 s of its own time (which stands still while a reader
# holds the stub), and every read through the stub is slow. Its case has more time (CTest's
# TIMEOUT for it is 240 s) and waits longer for each thing.
KERNEL_BUDGET = 210.0
KERNEL_TIMEOUT = 90.0


def deadline_after(timeout: float) -> float:
    return min(time.monotonic() + timeout, budget_end)

# SGR parameters that set a colour (3x/4x/9x/10x, and 38/48 for 256 colours or RGB); 39 and 49
# (default colours) are not colours: tmux writes them after any attribute reset.
COLOUR_SGR = re.compile(r"^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$")
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
STEP = re.compile(r"step (\d+)")
FOCUS = re.compile(r"\[\*\] (\S+)")
DETAIL_TITLE = re.compile(r"\[[ *]\] (Slot|Intervals \(\d+\)|Splice list)  v: next view")
LIST_ROW = re.compile(r"^([> ])(\S+)\s+(\S+)\s+(0x[0-9a-f]+)\s+(\d+)\s+(\d+)")
NODE_ROW = re.compile(r"^([> ])([0-9a-f]+) ([ -])([0-9a-f]+) ")
EVENT_ROW = re.compile(r"\|([ >])(\d+)\s+\d+\.\d{6}\s+[a-z-]+")
CURSOR = re.compile(r"cursor (\d+)/(\d+)")
KERNEL_STATUS = re.compile(r"vmpl-kernel: status step=(\d+)")
SAVED = re.compile(r"saved (\d+) lists to (\S+)")


class Failure(Exception):
    """A check failed; the message says what was expected."""


class Tmux:
    """One tmux server of our own, with the sessions of one case."""

    def __init__(self, tmux: str, case: str, workdir: str) -> None:
        self.tmux = tmux
        self.socket = "vmpl-tui-%s-%d" % (case, os.getpid())
        self.workdir = workdir
        self.last: list[str] = []
        self.last_session = ""
        self.socket_path = ""
        self.env = dict(os.environ)
        # Colours are what some checks look for; a UTF-8 locale so the help's dash is one cell.
        self.env.pop("NO_COLOR", None)
        self.env.pop("TMUX", None)
        self.env["SHELL"] = "/bin/sh"
        self.env["LC_ALL"] = "C.UTF-8"
        self.env.setdefault("TERM", "xterm-256color")

    def run(self, *args: str, check: bool = True) -> str:
        result = subprocess.run([self.tmux, "-L", self.socket, "-f", os.devnull, "-u", *args],
                                env=self.env, cwd=self.workdir, capture_output=True, text=True,
                                timeout=30, check=False, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise Failure("tmux %s failed (%d): %s" % (" ".join(args), result.returncode,
                                                       result.stderr.strip()))
        return result.stdout

    def start(self, session: str, command: str, width: int = WIDTH, height: int = HEIGHT) -> None:
        """Runs |command| in a new detached session; the pane stays after it, with its status."""
        shell = "%s; echo EXITED $?; exec sleep 600" % command
        self.run("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), shell)
        self.last_session = session
        if not self.socket_path:
            self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()

    def capture(self, session: str, escapes: bool = False) -> list[str]:
        args = ["capture-pane", "-p", "-t", session]
        if escapes:
            args.insert(1, "-e")
        text = self.run(*args)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not escapes:
            self.last = lines
            self.last_session = session
        return lines

    def keys(self, session: str, *keys: str) -> None:
        """Named keys (Tab, Enter, Up, ...)."""
        self.run("send-keys", "-t", session, *keys)

    def type(self, session: str, text: str) -> None:
        """|text| as the bytes typed, nothing interpreted as a key name."""
        self.run("send-keys", "-t", session, "-l", text)

    def display(self, session: str, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", session, fmt).strip()

    def wait(self, session: str, what: str, found: Callable[[list[str]], Optional[T]],
             timeout: float = TIMEOUT, exit_expected: bool = False) -> T:
        """Captures |session| until |found| returns something; fails naming |what|, at once if
        the TUI has ended when it should not have."""
        deadline = deadline_after(timeout)
        while True:
            lines = self.capture(session)
            value = found(lines)
            if value is not None and value is not False:
                return value
            ended = [line for line in lines if line.startswith("EXITED ")]
            if ended and not exit_expected:
                raise Failure("vmpl tui ended (%s) while waiting for: %s" % (ended[0], what))
            if time.monotonic() > deadline:
                raise Failure("timed out waiting for: %s" % what)
            time.sleep(POLL)

    def wait_text(self, session: str, text: str, timeout: float = TIMEOUT) -> list[str]:
        return self.wait(session, repr(text) + " on the screen",
                         lambda lines: lines if any(text in line for line in lines) else None,
                         timeout)

    def quit(self, session: str) -> None:
        """q, then the shell's "EXITED 0" under the command: the terminal is the shell's again."""
        self.type(session, "q")
        lines = self.wait(session, "the shell to print EXITED after `vmpl tui` quits",
                          lambda lines: lines if any(line.startswith("EXITED ")
                                                     for line in lines) else None,
                          exit_expected=True)
        status = [line for line in lines if line.startswith("EXITED ")][0]
        if status != "EXITED 0":
            raise Failure("vmpl tui exited with %s, expected 0" % status.split()[1])
        if any(line.startswith("vmpl tui  ") for line in lines):
            raise Failure("the TUI's title is still on the screen after quitting")

    def kill_server(self) -> None:
        """Ends the server, every session's processes (SIGHUP) and its socket. Each pane is a
        process group of its own: whatever in it outlives the hangup for a second is killed."""
        panes = self.run("list-panes", "-a", "-F", "#{pane_pid}", check=False).split()
        self.run("kill-server", check=False)
        deadline = time.monotonic() + 1.0
        for pane in (int(pid) for pid in panes if pid.isdigit()):
            while time.monotonic() < deadline and group_alive(pane):
                time.sleep(POLL)
            if group_alive(pane):
                print("processes of a pane (group %d) outlived the hangup: killed" % pane)
                os.killpg(pane, signal.SIGKILL)
        if self.socket_path and os.path.exists(self.socket_path):
            os.unlink(self.socket_path)


def group_alive(group: int) -> bool:
    """True if a process of |group| runs (zombies do not count: they are only waiting for a
    parent, which for a tmux server's panes may be an init that never reaps)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command's name: state, ppid, pgrp.
        if len(fields) > 2 and fields[2] == str(group) and fields[0] not in ("Z", "X"):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Reading the screen


def title(lines: list[str]) -> str:
    return lines[0] if lines else ""


def step_of(lines: list[str]) -> Optional[int]:
    match = STEP.search(title(lines))
    return int(match.group(1)) if match else None


def focus_of(lines: list[str]) -> Optional[str]:
    for line in lines:
        match = FOCUS.search(line)
        if match:
            name = match.group(1)
            return "Detail" if name in ("Slot", "Intervals", "Splice") else name
    return None


def detail_title(lines: list[str]) -> Optional[str]:
    for line in lines:
        match = DETAIL_TITLE.search(line)
        if match:
            return match.group(1).split(" (")[0]
    return None


def pane_rows(lines: list[str], start: str, end: str) -> list[str]:
    """The lines after the pane title starting with |start| up to the one starting with |end|,
    cut at the column separator of the two-column layout."""
    first = next((i for i, line in enumerate(lines) if line[4:].startswith(start)), None)
    if first is None:
        return []
    last = next((i for i in range(first + 1, len(lines)) if lines[i][4:].startswith(end)),
                len(lines) - 1)
    return [line.split("|")[0] for line in lines[first + 1:last]]


def list_rows(lines: list[str]) -> list[re.Match[str]]:
    """The lists table's rows: groups (marker, name, kind, skew, nodes, pages)."""
    rows = [LIST_ROW.match(row) for row in pane_rows(lines, "Lists (", "Nodes")]
    return [row for row in rows if row is not None and row.group(2) != "name"]


def selected_list(lines: list[str]) -> Optional[tuple[int, str]]:
    """(row, name) of the '>' row of the lists table."""
    for i, row in enumerate(list_rows(lines)):
        if row.group(1) == ">":
            return i, row.group(2)
    return None


def node_rows(lines: list[str]) -> list[re.Match[str]]:
    rows = [NODE_ROW.match(row) for row in pane_rows(lines, "Nodes", "Problems")]
    return [row for row in rows if row is not None]


def has_colour(lines: list[str]) -> bool:
    for line in lines:
        for match in SGR.finditer(line):
            if any(COLOUR_SGR.match(p) for p in re.split("[;:]", match.group(1))):
                return True
    return False


def status_line(lines: list[str]) -> str:
    return lines[-1] if lines else ""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


# ---------------------------------------------------------------------------------------------
# Processes


class Processes:
    """Background processes of a case, ended (and waited for) whatever happens."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], log: str) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    print("could not end process %d (%s)" % (process.pid, process.args))

    def stop_all(self) -> None:
        # Last started first: a gdbserver goes before the process it traces, whose exit its
        # parent could not see while it is traced.
        for process in reversed(self.started):
            self.stop(process)


def process_stopped(pid: int) -> bool:
    try:
        with open("/proc/%d/status" % pid, encoding="utf-8") as status:
            return "State:\tT" in status.read()
    except OSError:
        return False


def wait_until(what: str, done: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = deadline_after(timeout)
    while not done():
        if time.monotonic() > deadline:
            raise Failure("timed out waiting for %s" % what)
        time.sleep(POLL)


def paused_sim(args: argparse.Namespace, processes: Processes, workdir: str,
               seed: int) -> subprocess.Popen[bytes]:
    """A `vmpl sim` stopped (SIGSTOP) by itself after step 2500, its lists in place."""
    sim = processes.start([args.vmpl, "sim", "--seed", str(seed), "--ops", "4000", "--pause-at",
                           "2500", "--quiet"], os.path.join(workdir, "sim.log"))
    wait_until("the simulator to stop itself at step 2500",
               lambda: process_stopped(sim.pid) or sim.poll() is not None)
    expect(sim.poll() is None, "the simulator exited (%s) instead of pausing" % sim.returncode)
    return sim


def saved_snapshot(save_dir: str) -> dict:
    names = sorted(name for name in os.listdir(save_dir) if name.endswith(".json"))
    expect(len(names) == 1, "expected one snapshot saved in %s, found %s" % (save_dir, names))
    with open(os.path.join(save_dir, names[0]), encoding="utf-8") as saved:
        snapshot = json.load(saved)
    expect(isinstance(snapshot.get("lists"), list), "the saved snapshot has no \"lists\" array")
    return snapshot


def inspect_json(args: argparse.Namespace, source: list[str]) -> dict:
    result = subprocess.run([args.vmpl, "inspect", *source, "--json"], capture_output=True,
                            text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    expect(result.returncode == 0,
           "vmpl inspect %s exited %d: %s" % (" ".join(source), result.returncode, result.stderr))
    return json.loads(result.stdout)


def save_and_quit(tmux: Tmux, session: str) -> None:
    tmux.type(session, "s")
    tmux.wait(session, "the status line to say the snapshot was saved",
              lambda lines: "saved " in status_line(lines) or None)
    tmux.quit(session)


def compare_lists(saved: dict, inspected: dict, what: str) -> None:
    """The TUI's saved lists must be exactly inspect's: same lists, nodes and slots."""
    expect(len(saved["lists"]) == len(inspected["lists"]),
           "%s: the TUI saved %d lists, vmpl inspect reports %d" %
           (what, len(saved["lists"]), len(inspected["lists"])))
    for ours, theirs in zip(saved["lists"], inspected["lists"]):
        expect(ours == theirs, "%s: list %s differs from vmpl inspect's:\n  tui: %s\n  inspect: %s"
               % (what, ours.get("name"), json.dumps(ours)[:400], json.dumps(theirs)[:400]))
    expect(saved.get("problem_count") == inspected.get("problem_count"),
           "%s: problem_count %s, vmpl inspect says %s" %
           (what, saved.get("problem_count"), inspected.get("problem_count")))


def check_visible_lists(lines: list[str], snapshot: dict) -> None:
    """The lists pane's rows name lists of |snapshot| with their node counts (names may be cut
    to the column's width)."""
    rows = list_rows(lines)
    expect(len(rows) >= min(3, len(snapshot["lists"])), "the lists pane shows %d rows" % len(rows))
    by_name = {entry["name"]: entry for entry in snapshot["lists"]}
    for row in rows:
        matches = [entry for name, entry in by_name.items() if name.startswith(row.group(2))]
        expect(bool(matches), "the lists pane shows %r, not a list of the snapshot" % row.group(2))
        counts = {len(entry["nodes"]) for entry in matches}
        expect(int(row.group(5)) in counts, "list %s: %s nodes shown, the snapshot has %s" %
               (row.group(2), row.group(5), sorted(counts)))
    match = re.search(r"lists (\d+)", title(lines))
    expect(match is not None and int(match.group(1)) == len(snapshot["lists"]),
           "the title's list count is not %d: %r" % (len(snapshot["lists"]), title(lines)))


# ---------------------------------------------------------------------------------------------
# Cases


def tui_command(args: argparse.Namespace, *options: str) -> str:
    return " ".join(shlex.quote(word) for word in [args.vmpl, "tui", *options])


def printed_frame(args: argparse.Namespace, options: list[str], width: int,
                  height: int) -> list[str]:
    """`vmpl tui OPTIONS --print --size WxH`: the frame the App draws off-screen."""
    result = subprocess.run([args.vmpl, "tui", *options, "--print", "--size",
                             "%dx%d" % (width, height)], capture_output=True, text=True,
                            timeout=60, check=False, stdin=subprocess.DEVNULL)
    expect(result.returncode == 0, "vmpl tui --print exited %d: %s" %
           (result.returncode, result.stderr))
    return [line.rstrip() for line in result.stdout.split("\n")[:height]]


def check_sizes(args: argparse.Namespace, tmux: Tmux, s: str, options: list[str]) -> None:
    """For a source that holds still: resized, the terminal shows exactly the frame that
    --print draws at the new size (capture-pane drops trailing blanks: so do we), in one column
    and in two. Nothing left over from the previous size, nothing cut or shifted."""
    for width, height in ((90, 30), (200, 50), (WIDTH, HEIGHT)):
        tmux.run("resize-window", "-t", s, "-x", str(width), "-y", str(height))
        expected = printed_frame(args, options, width, height)
        differences: list[str] = []

        def same(lines: list[str]) -> bool:
            shown = [line.rstrip() for line in lines]
            shown += [""] * (height - len(shown))
            differences[:] = ["line %d:\n  tty:   %r\n  print: %r" % (i, a, b)
                              for i, (a, b) in enumerate(zip(shown, expected)) if a != b]
            return not differences
        try:
            tmux.wait(s, "the terminal at %dx%d to show what --print draws" % (width, height),
                      same, timeout=10)
        except Failure as failure:
            raise Failure("%s; first differences:\n%s" %
                          (failure, "\n".join(differences[:4]))) from None


def selected_row(lines: list[str]) -> int:
    selected = selected_list(lines)
    return selected[0] if selected else -1


def press(tmux: Tmux, session: str, key: str) -> None:
    """A named key (Tab, Up, ...) or one typed character."""
    if len(key) == 1:
        tmux.type(session, key)
    else:
        tmux.keys(session, key)


def monkey(tmux: Tmux, s: str, seed: int, count: int = 400) -> None:
    """|count| keys, clicks and resizes at random (but q), in batches as fast as tmux takes them;
    then Escape (a prompt or the help may be open) and the full size again: the TUI must still
    be there, whole, and quit normally afterwards."""
    rnd = random.Random(seed)
    named = ["Tab", "BTab", "Up", "Down", "Left", "Right", "PPage", "NPage", "Home", "End",
             "Enter", "Escape", "BSpace"]
    typed = list("jkhlgnvpfKmrs[]{}<>?/0123456789abcdefx")
    sent = 0
    while sent < count:
        batch = [rnd.choice(named) if rnd.random() < 0.5 else rnd.choice(typed)
                 for _ in range(10)]
        tmux.keys(s, *batch)
        sent += len(batch)
        if rnd.random() < 0.2:
            x, y = rnd.randrange(0, 94), rnd.randrange(0, 94)
            button = rnd.choice([0, 64, 65])  # press, wheel up, wheel down
            tmux.type(s, "\x1b[M" + chr(32 + button) + chr(33 + x) + chr(33 + y))
        if rnd.random() < 0.1:
            tmux.run("resize-window", "-t", s, "-x", str(rnd.randrange(1, 200)), "-y",
                     str(rnd.randrange(1, 60)))
    tmux.run("resize-window", "-t", s, "-x", str(WIDTH), "-y", str(HEIGHT))
    tmux.keys(s, "Escape")
    tmux.keys(s, "Escape")
    # Longer than other waits: the random keys include a few `s`, and each saves the whole
    # snapshot as JSON, which takes seconds under AddressSanitizer on a machine busy with other
    # tests.
    tmux.wait(s, "the whole frame back after %d random inputs" % count,
              lambda lines: len(lines) == HEIGHT and title(lines).startswith("vmpl tui  ") and
              any(FOCUS.search(line) for line in lines), timeout=3 * TIMEOUT)


def demo_live(tmux: Tmux, s: str) -> None:
    """The step counter grows, redrawn many times a second (100 ms refreshes), in colour."""
    steps: set[int] = set()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        step = step_of(tmux.capture(s))
        if step is not None:
            steps.add(step)
        time.sleep(POLL)
    print("demo: %d distinct step values seen in 1 s of captures every 50 ms" % len(steps))
    expect(len(steps) >= 4, "the title's step counter took only %d values in 1 s (%s): no live "
           "refresh at ~10 frames a second" % (len(steps), sorted(steps)))
    expect(has_colour(tmux.capture(s, escapes=True)), "no colour escapes on the screen")


def demo_pause(tmux: Tmux, s: str) -> None:
    tmux.type(s, "p")
    tmux.wait(s, "PAUSED in the title", lambda lines: "PAUSED" in title(lines))
    first = step_of(tmux.capture(s))
    time.sleep(0.5)
    expect(step_of(tmux.capture(s)) == first, "the step counter moved while paused")


def demo_navigation(tmux: Tmux, s: str) -> None:
    """j/k and the arrows move the '>' row, Tab and Shift-Tab the [*] focus marker, v the
    detail pane's view; ? shows the help and any key closes it."""
    tmux.keys(s, "Home")
    tmux.wait(s, "the first list selected after Home", lambda lines: selected_row(lines) == 0)
    expect(len(list_rows(tmux.last)) >= 3, "fewer than 3 lists shown")
    for key, row in (("j", 1), ("j", 2), ("k", 1), ("Down", 2), ("Up", 1)):
        press(tmux, s, key)
        tmux.wait(s, "%s to select list row %d" % (key, row),
                  lambda lines, row=row: selected_row(lines) == row)

    expect(focus_of(tmux.last) == "Lists", "the lists pane is not focused at first")
    for pane in ("Nodes", "Detail", "Events"):
        tmux.keys(s, "Tab")
        tmux.wait(s, "Tab to move [*] to %s" % pane, lambda lines, p=pane: focus_of(lines) == p)
    tmux.keys(s, "BTab")
    tmux.wait(s, "Shift-Tab to move [*] back to Detail", lambda lines: focus_of(lines) == "Detail")

    for view in ("Intervals", "Splice list", "Slot"):
        tmux.type(s, "v")
        tmux.wait(s, "v to show the %s view" % view, lambda lines, v=view: detail_title(lines) == v)

    help_title = "vmpl tui \u2014 keys"
    tmux.type(s, "?")
    tmux.wait(s, "the help box", lambda lines: any(help_title in line for line in lines) and
              any("pause / resume" in line for line in lines))
    tmux.type(s, "x")
    tmux.wait(s, "any key to close the help",
              lambda lines: not any(help_title in line for line in lines))


def demo_search(tmux: Tmux, s: str) -> None:
    """/ in the lists pane: from a list that is not a pager's to one that is."""
    for _ in range(5):
        if focus_of(tmux.capture(s)) == "Lists":
            break
        tmux.keys(s, "Tab")
        time.sleep(POLL)
    tmux.keys(s, "Home")
    tmux.wait(s, "Home in the lists pane", lambda lines: selected_row(lines) == 0)
    for row in range(1, len(list_rows(tmux.last))):
        if "pager" not in (selected_list(tmux.last) or (0, ""))[1]:
            break
        tmux.type(s, "j")
        tmux.wait(s, "j to select row %d" % row, lambda lines, r=row: selected_row(lines) == r)
    before = selected_list(tmux.last)
    expect(before is not None and "pager" not in before[1], "every list shown is a pager's")
    tmux.type(s, "/pager")
    tmux.wait_text(s, "search lists: pager_")
    tmux.keys(s, "Enter")
    tmux.wait(s, "/pager to select a list named ...pager",
              lambda lines: "pager" in (selected_list(lines) or (0, ""))[1])
    expect("list '" in status_line(tmux.last), "no search message: %r" % status_line(tmux.last))


def demo_goto(tmux: Tmux, s: str) -> None:
    """g OFFSET Enter: slot 3 of the selected list's second node (its VMO offset + 3 pages)."""
    nodes = [node for node in node_rows(tmux.capture(s)) if node.group(3) == " "]
    expect(len(nodes) >= 1, "the selected list shows no node at a positive VMO offset")
    node = nodes[1] if len(nodes) > 1 else nodes[0]
    offset = int(node.group(4), 16) + 3 * 4096
    tmux.type(s, "g%x" % offset)
    tmux.wait_text(s, "go to VMO offset (hex): %x_" % offset)
    tmux.keys(s, "Enter")
    message = r"offset %#x: node 0x0*%s, slot 3" % (offset, node.group(2).lstrip("0") or "0")
    tmux.wait(s, "the status line to report offset %#x in node %s, slot 3" %
              (offset, node.group(2)), lambda lines: re.search(message, status_line(lines)))
    tmux.wait(s, "the node of offset %#x selected" % offset,
              lambda lines: any(row.group(1) == ">" and row.group(2) == node.group(2)
                                for row in node_rows(lines)))
    expect(focus_of(tmux.last) == "Nodes", "g did not focus the nodes pane")


def demo_save(tmux: Tmux, s: str, save_dir: str) -> None:
    tmux.type(s, "s")
    tmux.wait(s, "the status line to say the snapshot was saved",
              lambda lines: "saved " in status_line(lines))
    saved = saved_snapshot(save_dir)
    match = re.search(r"lists (\d+)", title(tmux.last))
    expect(match is not None and int(match.group(1)) == len(saved["lists"]),
           "the paused screen shows %s lists, the snapshot has %d" %
           (match.group(1) if match else "?", len(saved["lists"])))


def demo_mouse(tmux: Tmux, s: str) -> None:
    """A click on a row of the lists pane selects it. ncurses asked for the mouse (tmux says so:
    mouse_any_flag); the click goes in as a terminal sends it, X10-encoded as the pane's terminfo
    announces (kmous=\\E[M): button, column and row, each plus 32, 1-based."""
    expect(tmux.display(s, "#{mouse_any_flag}") == "1",
           "the TUI did not enable mouse reporting (tmux's mouse_any_flag is 0)")
    lines = tmux.capture(s)
    rows = list_rows(lines)
    target = 1 if selected_row(lines) == 2 else 2
    header = next(i for i, line in enumerate(lines) if line.startswith(" name "))
    x, y = 3, header + 1 + target
    click = "\x1b[M" + chr(32 + 0) + chr(33 + x) + chr(33 + y)
    release = "\x1b[M" + chr(32 + 3) + chr(33 + x) + chr(33 + y)
    tmux.type(s, click + release)
    tmux.wait(s, "a click on lists row %d (%s) to select it" % (target, rows[target].group(2)),
              lambda lines: selected_row(lines) == target)
    expect(focus_of(tmux.last) == "Lists", "the click did not focus the lists pane")


def demo_resume_and_mono(tmux: Tmux, s: str) -> None:
    tmux.type(s, "p")
    tmux.wait(s, "PAUSED to leave the title", lambda lines: "PAUSED" not in title(lines))
    resumed = step_of(tmux.last) or 0
    tmux.wait(s, "the step counter to move on after resuming",
              lambda lines: (step_of(lines) or 0) > resumed)
    tmux.type(s, "m")
    tmux.wait(s, "no colour escapes after m",
              lambda _: not has_colour(tmux.capture(s, escapes=True)))
    tmux.type(s, "m")
    tmux.wait(s, "colour escapes again after a second m",
              lambda _: has_colour(tmux.capture(s, escapes=True)))


def redrawn(lines: list[str], width: int, height: int, columns: int) -> bool:
    """|lines| are a whole frame of |width| x |height| in the layout of |columns| columns."""
    if len(lines) != height or not title(lines).startswith("vmpl tui  "):
        return False
    pane_title = lines[1]
    if len(pane_title) != width or not pane_title.endswith("-"):
        return False
    if not re.match(r"\[[* ]\] Lists \(", pane_title):
        return False
    if ("|[" in pane_title) != (columns == 2):
        return False
    if not any(line[4:].startswith("Nodes") for line in lines):
        return False
    return status_line(lines).strip() != ""


def too_small(lines: list[str], width: int, height: int) -> Optional[int]:
    """The height the too-small message of a |width| x |height| screen asks for, if it is all
    the screen shows (no pane headers around it)."""
    text = " ".join(line.strip() for line in lines if line.strip())
    match = re.fullmatch(r"terminal too small \(%dx%d, needs at least %dx(\d+)\)"
                         % (width, height, width), text)
    return int(match.group(1)) if match else None


def demo_resize(tmux: Tmux, s: str) -> None:
    """The frame follows the window: one column below 100 cells, two from there; too small for
    the panes, it says so and names the size that fits, and at that size the panes are back."""
    tmux.run("resize-window", "-t", s, "-x", "40", "-y", "12")
    needed = tmux.wait(s, "the too-small message at 40x12",
                       lambda lines: too_small(lines, 40, 12))
    expect(needed > 12, "a 40x12 screen said it needs 40x%d" % needed)
    tmux.run("resize-window", "-t", s, "-x", "40", "-y", str(needed))
    tmux.wait(s, "the frame redrawn at the 40x%d the message asked for" % needed,
              lambda lines: redrawn(lines, 40, needed, 1))
    for width, height, columns in ((90, 30, 1), (WIDTH, HEIGHT, 2), (120, 36, 2)):
        tmux.run("resize-window", "-t", s, "-x", str(width), "-y", str(height))
        tmux.wait(s, "the frame redrawn at %dx%d in %d column(s)" % (width, height, columns),
                  lambda lines, w=width, h=height, c=columns: redrawn(lines, w, h, c))


def case_demo(args: argparse.Namespace, tmux: Tmux, workdir: str, _: Processes) -> None:
    save_dir = os.path.join(workdir, "saved")
    os.mkdir(save_dir)
    s = "demo"
    tmux.start(s, tui_command(args, "--save-dir", save_dir))
    tmux.wait(s, "the title to name the demo and its step",
              lambda lines: "demo" in title(lines) and step_of(lines) is not None)
    demo_live(tmux, s)
    # Paused, the screen holds still for the checks of rows and columns.
    demo_pause(tmux, s)
    demo_navigation(tmux, s)
    demo_search(tmux, s)
    demo_goto(tmux, s)
    demo_save(tmux, s, save_dir)
    demo_mouse(tmux, s)
    demo_resume_and_mono(tmux, s)
    demo_resize(tmux, s)
    monkey(tmux, s, seed=1)
    tmux.quit(s)

    # --mono: no colour escapes from the start; --no-mouse: no mouse reporting asked for.
    m = "mono"
    tmux.start(m, tui_command(args, "--mono", "--no-mouse"))
    tmux.wait(m, "the title of the --mono session", lambda lines: step_of(lines) is not None)
    expect(not has_colour(tmux.capture(m, escapes=True)), "colour escapes with --mono")
    expect(tmux.display(m, "#{mouse_any_flag}") == "0", "mouse reporting on with --no-mouse")
    tmux.quit(m)


def case_pid(args: argparse.Namespace, tmux: Tmux, workdir: str, processes: Processes) -> None:
    sim = processes.start([args.vmpl, "sim", "--trace-shm", "--duration", "120", "--rate", "2000",
                           "--seed", "5", "--quiet"], os.path.join(workdir, "sim.log"))
    ring = "/dev/shm/vmpl.%d" % sim.pid
    try:
        wait_until("the simulator's shared ring %s" % ring,
                   lambda: os.path.exists(ring) or sim.poll() is not None)
        expect(sim.poll() is None, "the simulator exited (%s)" % sim.returncode)
        s = "pid"
        tmux.start(s, tui_command(args, "--pid", str(sim.pid)))
        tmux.wait(s, "the title to name pid %d" % sim.pid,
                  lambda lines: ("pid %d" % sim.pid) in title(lines))
        tmux.wait(s, "lists named vmo:N",
                  lambda lines: any(row.group(2).startswith("vmo:") for row in list_rows(lines)))
        tmux.wait(s, "event rows from the shared ring in the events pane",
                  lambda lines: sum(1 for line in lines if EVENT_ROW.search(line)) >= 5)

        def total(lines: list[str]) -> Optional[int]:
            for line in lines:
                match = re.search(r"total ([\d,]+)", line)
                if match:
                    return int(match.group(1).replace(",", ""))
            return None
        first = tmux.wait(s, "the events total", total)
        tmux.wait(s, "the events total to grow past %d" % first,
                  lambda lines: (total(lines) or 0) > first)
        tmux.quit(s)
    finally:
        # SIGINT: the simulator stops and removes its ring.
        processes.stop(sim, signal.SIGINT)
    leftover = os.path.exists(ring)
    if leftover:
        os.unlink(ring)
    expect(sim.returncode == 0, "the simulator ended with %s after SIGINT" % sim.returncode)
    expect(not leftover, "the simulator left %s behind" % ring)


def has_sanitizer(program: str) -> bool:
    with open(program, "rb") as file:
        contents = file.read()
    return any(name in contents for name in (b"__asan_init", b"__tsan_init", b"__msan_init"))


def case_core(args: argparse.Namespace, tmux: Tmux, workdir: str, processes: Processes) -> int:
    if has_sanitizer(args.vmpl):
        print("SKIP: gcore of a sanitizer build dumps its shadow memory (terabytes)")
        return SKIP
    gcore = shutil.which(args.gcore)
    expect(gcore is not None, "gcore (%s) not found: it comes with gdb" % args.gcore)
    sim = paused_sim(args, processes, workdir, seed=12)
    prefix = os.path.join(workdir, "core")
    result = subprocess.run([gcore, "-o", prefix, str(sim.pid)], capture_output=True, text=True,
                            timeout=120, check=False, stdin=subprocess.DEVNULL)
    core = "%s.%d" % (prefix, sim.pid)
    expect(result.returncode == 0 and os.path.exists(core),
           "gcore failed (%d): %s" % (result.returncode, result.stderr[-2000:]))
    processes.stop(sim)

    save_dir = os.path.join(workdir, "saved")
    os.mkdir(save_dir)
    s = "core"
    tmux.start(s, tui_command(args, "--core", core, "--save-dir", save_dir))
    tmux.wait(s, "the title to name the core file", lambda lines: core in title(lines))
    lines = tmux.wait(s, "lists in the lists pane", lambda lines: lines if list_rows(lines)
                      else None)
    tmux.wait_text(s, "a core file holds no event stream")
    inspected = inspect_json(args, ["--core", core])
    check_visible_lists(lines, inspected)
    check_sizes(args, tmux, s, ["--core", core])
    save_and_quit(tmux, s)
    compare_lists(saved_snapshot(save_dir), inspected, "core")
    return 0


def case_remote(args: argparse.Namespace, tmux: Tmux, workdir: str, processes: Processes) -> None:
    gdbserver = shutil.which(args.gdbserver)
    expect(gdbserver is not None, "gdbserver (%s) not found" % args.gdbserver)
    sim = paused_sim(args, processes, workdir, seed=7)
    # Port 0: gdbserver picks a free one and says which. Without --once it takes a new client
    # after one leaves (the reader closes the connection without detaching), so the TUI and then
    # `vmpl inspect` see the same stopped process.
    log = os.path.join(workdir, "gdbserver.log")
    server = processes.start([gdbserver, "127.0.0.1:0", "--attach", str(sim.pid)], log)

    def port() -> Optional[str]:
        with open(log, encoding="utf-8", errors="replace") as text:
            match = re.search(r"Listening on port (\d+)", text.read())
        return match.group(1) if match else None
    wait_until("gdbserver to listen", lambda: port() is not None or server.poll() is not None)
    expect(server.poll() is None, "gdbserver exited: " + open(log, encoding="utf-8").read())
    remote = "127.0.0.1:" + str(port())

    save_dir = os.path.join(workdir, "saved")
    os.mkdir(save_dir)
    s = "remote"
    tmux.start(s, tui_command(args, "--remote", remote, "--binary", args.vmpl, "--save-dir",
                              save_dir))
    tmux.wait(s, "the title to name the remote", lambda lines: "remote" in title(lines) or
              remote in title(lines))
    lines = tmux.wait(s, "lists named vmo:N",
                      lambda lines: lines if any(row.group(2).startswith("vmo:")
                                                 for row in list_rows(lines)) else None)
    tmux.wait_text(s, "a gdb stub gives no event stream")
    save_and_quit(tmux, s)
    inspected = inspect_json(args, ["--remote", remote, "--binary", args.vmpl])
    check_visible_lists(lines, inspected)
    compare_lists(saved_snapshot(save_dir), inspected, "remote")


def case_trace(args: argparse.Namespace, tmux: Tmux, workdir: str, _: Processes) -> None:
    trace = os.path.join(workdir, "run.vmpltrace")
    result = subprocess.run([args.vmpl, "sim", "--ops", "3000", "--trace", trace, "--seed", "3",
                             "--quiet"], capture_output=True, text=True, timeout=120,
                            check=False, stdin=subprocess.DEVNULL)
    expect(result.returncode == 0, "vmpl sim --trace failed: " + result.stderr)

    s = "trace"
    tmux.start(s, tui_command(args, "--trace", trace))

    def cursor(lines: list[str]) -> Optional[tuple[int, int]]:
        match = CURSOR.search(title(lines))
        return (int(match.group(1)), int(match.group(2))) if match else None

    def highlighted(lines: list[str]) -> Optional[int]:
        for line in lines:
            match = EVENT_ROW.search(line)
            if match and match.group(1) == ">":
                return int(match.group(2))
        return None

    at, size = tmux.wait(s, "the time cursor in the title", cursor)
    expect(at == 0 and size > 3000, "the cursor starts at %d/%d" % (at, size))
    check_sizes(args, tmux, s, ["--trace", trace])
    steps = [("]", 1), ("]", 2), ("[", 1), ("}", 1001), ("{", 1), (">", 1 + size // 10),
             ("<", 1)]
    for key, position in steps:
        tmux.type(s, key)
        tmux.wait(s, "%s to move the cursor to %d/%d" % (key, position, size),
                  lambda lines, p=position: cursor(lines) == (p, size))
        tmux.wait(s, "the events pane to mark event %d (the cursor's) with '>'" % (position - 1),
                  lambda lines, p=position: highlighted(lines) == p - 1)
    # The end of the trace, 10% at a time.
    for _ in range(12):
        tmux.type(s, ">")
        time.sleep(0.05)
    tmux.wait(s, "> repeated to reach the end of the trace (%d/%d)" % (size, size),
              lambda lines: cursor(lines) == (size, size))
    tmux.wait(s, "the last event marked at the end", lambda lines: highlighted(lines) == size - 1)
    monkey(tmux, s, seed=2)
    tmux.quit(s)

    # A truncated copy opens and says what is missing.
    cut = os.path.join(workdir, "cut.vmpltrace")
    with open(trace, "rb") as whole, open(cut, "wb") as part:
        part.write(whole.read()[:os.path.getsize(trace) * 6 // 10])
    c = "cut"
    tmux.start(c, tui_command(args, "--trace", cut))
    tmux.wait(c, "a problem in the title of the truncated trace",
              lambda lines: re.search(r"problems [1-9]", title(lines)))
    tmux.wait(c, "the problems pane", lambda lines: any(line.startswith("[ ] Problems (")
                                                        for line in lines))
    tmux.quit(c)


def free_port() -> int:
    """A local TCP port free a moment ago (QEMU takes it for its stub right after)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


class Kernel:
    """vmpl-kernel.elf under qemu-system-x86_64 (software emulation), as kernel_qemu_test.py
    boots it: the gdb stub on a free local port, the serial console in a file, no monitor, and
    the isa-debug-exit device. Started through |processes|, so it is killed whatever happens."""

    def __init__(self, args: argparse.Namespace, processes: Processes, workdir: str,
                 append: str) -> None:
        qemu = shutil.which(args.qemu)
        expect(qemu is not None, "qemu-system-x86_64 (%s) not found" % args.qemu)
        expect(bool(args.kernel) and os.path.isfile(args.kernel),
               "the kernel case needs --kernel vmpl-kernel.elf (got %r)" % args.kernel)
        self.serial = os.path.join(workdir, "serial.log")
        self.log = os.path.join(workdir, "qemu.log")
        self.port = free_port()
        self.process = processes.start(
            [str(qemu), "-kernel", args.kernel, "-m", "128M", "-nographic", "-no-reboot",
             "-nodefaults", "-no-user-config", "-serial", "file:" + self.serial, "-monitor",
             "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-gdb",
             "tcp:127.0.0.1:%d" % self.port, "-append", append], self.log)

    def console(self) -> str:
        try:
            with open(self.serial, encoding="utf-8", errors="replace") as text:
                return text.read()
        except FileNotFoundError:
            return ""

    def check_running(self) -> None:
        """Fails, with the end of the console and QEMU's output, if the kernel has stopped."""
        text = self.console()
        if "PANIC" in text or self.process.poll() is not None:
            try:
                with open(self.log, encoding="utf-8", errors="replace") as log:
                    qemu = log.read()
            except FileNotFoundError:
                qemu = ""
            raise Failure("the kernel stopped (QEMU %s); console:\n%s\nQEMU:\n%s" %
                          ("exited %s" % self.process.returncode
                           if self.process.poll() is not None else "runs, PANIC on the console",
                           text[-2000:], qemu[-1000:]))

    def steps(self) -> list[int]:
        """The step counts of the status lines on the console so far (one every 10 s of the
        kernel's time: its timer does not tick while the stub holds the machine)."""
        return [int(step) for step in KERNEL_STATUS.findall(self.console())]

    def wait_console(self, what: str, found: Callable[[str], bool],
                     timeout: float = KERNEL_TIMEOUT) -> None:
        deadline = deadline_after(timeout)
        while not found(self.console()):
            self.check_running()
            if time.monotonic() > deadline:
                raise Failure("timed out waiting for %s on the kernel's console; its end:\n%s" %
                              (what, self.console()[-2000:]))
            time.sleep(0.2)


def kernel_lists(lines: list[str]) -> Optional[tuple[tuple[str, str, str], ...]]:
    """(name, nodes, pages) of each row of the lists pane, once some is a vmo:N list."""
    rows = list_rows(lines)
    if not any(row.group(2).startswith("vmo:") for row in rows):
        return None
    return tuple((row.group(2), row.group(5), row.group(6)) for row in rows)


def check_kernel_snapshot(saved: dict, count: int) -> None:
    """A well-formed snapshot of the kernel's registry, as the TUI showed it when s was pressed
    (the kernel has moved on since: nothing to compare it with but itself)."""
    lists = saved["lists"]
    expect(len(lists) == count, "the status line said %d lists were saved, the file has %d" %
           (count, len(lists)))
    expect(any(entry.get("name", "").startswith("vmo:") for entry in lists),
           "no list named vmo:N in the saved snapshot: %s" %
           [entry.get("name") for entry in lists])
    for entry in lists:
        name = entry.get("name", "")
        expect(name.startswith("vmo:") or name.startswith("splice:"),
               "the saved snapshot has a list named %r, not one of the kernel's (vmo:N/..., "
               "splice:N/...)" % name)
        expect(entry.get("kind") == ("splice-list" if name.startswith("splice:") else "page-list"),
               "list %s has kind %r" % (name, entry.get("kind")))
        expect(isinstance(entry.get("nodes"), list) and entry.get("problems") == [],
               "list %s: no nodes array, or problems %s" % (name, entry.get("problems")))
        for node in entry["nodes"]:
            expect(re.fullmatch(r"0x[0-9a-f]+", str(node.get("address"))) is not None and
                   isinstance(node.get("slots"), list),
                   "list %s: a malformed node %s" % (name, json.dumps(node)[:200]))
    ids = [entry.get("registry_id") for entry in lists]
    expect(len(set(ids)) == len(ids), "registry ids repeat in the saved snapshot: %s" % ids)
    expect(saved.get("problems") == [] and saved.get("problem_count") == 0,
           "the saved snapshot has problems (%s): %s" % (saved.get("problem_count"),
                                                         json.dumps(saved.get("problems"))[:400]))
    expect("remote" in saved.get("source", "") or "127.0.0.1" in saved.get("source", ""),
           "the saved snapshot's source is %r, not the stub" % saved.get("source"))


def case_kernel(args: argparse.Namespace, tmux: Tmux, workdir: str, processes: Processes) -> None:
    """The kernel under QEMU, never paused: the TUI hangs up on the stub between reads, so the
    kernel runs on and the lists on the screen change while it is watched."""
    kernel = Kernel(args, processes, workdir, "seed=5 rate=5 trace=4096")
    kernel.wait_console("the workload to start",
                        lambda text: "vmpl-kernel: workload seed=5" in text)
    remote = "127.0.0.1:%d" % kernel.port
    save_dir = os.path.join(workdir, "saved")
    os.mkdir(save_dir)
    s = "kernel"
    tmux.start(s, tui_command(args, "--remote", remote, "--binary", args.kernel, "--save-dir",
                              save_dir))
    tmux.wait(s, "the title to name the remote", lambda lines: "remote" in title(lines) or
              remote in title(lines), timeout=KERNEL_TIMEOUT)
    first = tmux.wait(s, "lists named vmo:N", kernel_lists, timeout=KERNEL_TIMEOUT)
    tmux.wait_text(s, "a gdb stub gives no event stream")
    # The kernel's status lines (every 10 s of its own time, which stands still while the
    # machine is stopped) so far: one after this point must count more steps.
    before = max(kernel.steps(), default=-1)
    stopped = ("the kernel made no progress while `vmpl tui --remote` was attached: the machine "
               "stayed stopped between the TUI's reads (QEMU stops it when a gdb client connects "
               "and resumes it on a continue or a detach, not when the client hangs up)")

    # Live: the lists pane takes at least 3 different contents (names, nodes, pages).
    seen = {first}

    def another(lines: list[str]) -> Optional[int]:
        shown = kernel_lists(lines)
        if shown is not None:
            seen.add(shown)
        kernel.check_running()
        return len(seen) if len(seen) >= 3 else None
    try:
        tmux.wait(s, "the lists pane to change twice (a live view of the running kernel)",
                  another, timeout=KERNEL_TIMEOUT)
    except Failure as failure:
        if max(kernel.steps(), default=-1) <= before:
            raise Failure("%s; %s. Console's end:\n%s" % (failure, stopped,
                                                         kernel.console()[-600:])) from None
        raise

    # And the kernel's own counter moved on while the TUI was attached.
    def kernel_ran(lines: list[str]) -> Optional[int]:
        kernel.check_running()
        steps = kernel.steps()
        return steps[-1] if steps and steps[-1] > before else None
    try:
        tmux.wait(s, "the kernel's console to print a status line past step %d" % before,
                  kernel_ran, timeout=KERNEL_TIMEOUT)
    except Failure as failure:
        raise Failure("%s; %s. Console's end:\n%s" % (failure, stopped,
                                                     kernel.console()[-600:])) from None
    print("kernel: %d different lists panes seen; status lines at steps %s" %
          (len(seen), kernel.steps()))

    # Still there after all that time; then s and q.
    tmux.wait(s, "lists named vmo:N again", kernel_lists, timeout=KERNEL_TIMEOUT)
    tmux.type(s, "s")
    lines = tmux.wait(s, "the status line to say the snapshot was saved",
                      lambda lines: lines if SAVED.search(status_line(lines)) else None,
                      timeout=KERNEL_TIMEOUT)
    count = int(SAVED.search(status_line(lines)).group(1))
    tmux.quit(s)
    check_kernel_snapshot(saved_snapshot(save_dir), count)
    kernel.check_running()


def case_bad_input(args: argparse.Namespace, _: Tmux, workdir: str, __: Processes) -> None:
    def run(options: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([args.vmpl, "tui", *options], capture_output=True, text=True,
                              timeout=60, check=False, stdin=subprocess.DEVNULL)

    missing = run(["--core", "/nonexistent"])
    expect(missing.returncode == 3 and "/nonexistent" in missing.stderr,
           "--core /nonexistent: exit %d, stderr %r (expected 3 and the path named)" %
           (missing.returncode, missing.stderr))
    not_trace = os.path.join(workdir, "not-a-trace.txt")
    with open(not_trace, "w", encoding="utf-8") as text:
        text.write("this is not a trace\n" * 100)
    bad = run(["--trace", not_trace])
    expect(bad.returncode == 3 and "not a vmpl trace" in bad.stderr,
           "--trace of a text file: exit %d, stderr %r (expected 3, 'not a vmpl trace')" %
           (bad.returncode, bad.stderr))
    # Not a terminal: one frame of the default size (120x40) as text, then exit 0.
    frame = run(["--rate", "0", "--print-after", "0.3"])
    lines = frame.stdout.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    expect(frame.returncode == 0, "--print-after into a pipe exited %d: %s" %
           (frame.returncode, frame.stderr))
    expect(len(lines) == 40 and lines[0].startswith("vmpl tui  demo") and
           lines[1].startswith("[*] Lists (") and "q quit" in lines[-1],
           "not one 120x40 frame on a pipe:\n" + frame.stdout)
    expect(max(len(line) for line in lines) <= 120, "a line wider than 120 cells")
    expect("\x1b" not in frame.stdout, "escape sequences in the text frame")


CASES = {
    "demo": case_demo,
    "pid": case_pid,
    "core": case_core,
    "remote": case_remote,
    "trace": case_trace,
    "kernel": case_kernel,
    "bad-input": case_bad_input,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vmpl", required=True, help="the vmpl executable")
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--tmux", default="tmux")
    parser.add_argument("--gdbserver", default="gdbserver")
    parser.add_argument("--gcore", default="gcore")
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--kernel", help="vmpl-kernel.elf (the kernel case)")
    args = parser.parse_args()
    args.vmpl = os.path.realpath(args.vmpl)
    if args.kernel:
        args.kernel = os.path.realpath(args.kernel)
    if not os.access(args.vmpl, os.X_OK):
        print("FAIL: %s is not an executable" % args.vmpl)
        return 2
    tmux_path = shutil.which(args.tmux)
    if tmux_path is None:
        print("FAIL: tmux (%s) not found: these tests need it (apt-get install tmux)" % args.tmux)
        return 1
    # CTest ends a test that overruns with a signal: clean up as after a failure.
    def interrupted(signum: int, _: object) -> None:
        raise Failure("interrupted by signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    workdir = tempfile.mkdtemp(prefix="vmpl-tui-%s-" % args.case)
    tmux = Tmux(tmux_path, args.case, workdir)
    processes = Processes()
    global budget_end
    start = time.monotonic()
    budget_end = start + (KERNEL_BUDGET if args.case == "kernel" else BUDGET)
    status = 0
    try:
        status = CASES[args.case](args, tmux, workdir, processes) or 0
    except Failure as failure:
        print("FAIL (%s): %s" % (args.case, failure))
        if tmux.last:
            print("---- last capture of tmux session %r ----" % tmux.last_session)
            lines = list(tmux.last)
            while lines and not lines[-1].strip():
                lines.pop()
            print("\n".join(lines))
            print("----")
        status = 1
    finally:
        tmux.kill_server()
        processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    if status == 0:
        print("PASS (%s) in %.1f s" % (args.case, time.monotonic() - start))
    return status


if __name__ == "__main__":
    sys.exit(main())
