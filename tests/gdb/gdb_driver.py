"""Runs inside gdb for run_gdb_test.py: stops gdb_test_program at vmpl_gdb_stop (or opens its
core), then runs a test script's commands one by one, printing each command and its output.

Each command runs through gdb.execute(to_string=True), so its output lands on stdout in order and
a failing command (a gdb.error) is printed as "error: ..." and the script goes on: one bad command
cannot hide the output of the next ones. What printers write to stderr (a Python exception in a
printer) is left on stderr, where run_gdb_test.py looks for it.

Configuration comes from the environment (set by run_gdb_test.py):
  VMPL_GDB_MODE    live: `break vmpl_gdb_stop`, `run DAMAGE`; core: the core is already loaded;
                   make-core: like live, then `gcore VMPL_GDB_CORE_OUT` and nothing else
  VMPL_GDB_DAMAGE  the damage kind given to the program (argv[1])
  VMPL_GDB_SCRIPT  the script: one gdb command per line, '#' comments and blank lines skipped
"""

import os
import sys

import gdb  # type: ignore

# run_gdb_test.py keeps what follows this line and drops gdb's start-up chatter before it.
BEGIN_MARKER = "==== vmpl gdb test ===="
# How gdb reports an exception other than gdb.GdbError out of a Python command (and out of the
# `python` command itself).
PYTHON_FAILURES = ("Error occurred in Python", "Error while executing Python code")


def quiet(command: str) -> str:
    return gdb.execute(command, to_string=True)


def stop_at_breakpoint(damage: str) -> None:
    quiet("break vmpl_gdb_stop")
    quiet("run " + damage)


def main() -> None:
    mode = os.environ["VMPL_GDB_MODE"]
    for setting in ("pagination off", "width 0", "height 0", "confirm off"):
        quiet("set " + setting)
    try:
        if mode in ("live", "make-core"):
            stop_at_breakpoint(os.environ.get("VMPL_GDB_DAMAGE", "none"))
        frame = gdb.selected_frame()
        if frame.name() != "vmpl_gdb_stop":
            print("error: stopped in %s, not in vmpl_gdb_stop" % frame.name())
            return
        if mode == "make-core":
            quiet("gcore " + os.environ["VMPL_GDB_CORE_OUT"])
            return
        quiet("up")
    except gdb.error as error:
        print("error: could not stop the program: %s" % error)
        return

    print(BEGIN_MARKER)
    with open(os.environ["VMPL_GDB_SCRIPT"], encoding="utf-8") as script:
        for line in script:
            command = line.strip()
            if not command or command.startswith("#"):
                continue
            print("(gdb) " + command)
            try:
                output = gdb.execute(command, to_string=True)
            except gdb.error as error:
                output = "error: %s\n" % error
                # A command that let an exception out (not a gdb.GdbError): gdb sent the
                # traceback into the discarded capture, so say it here for run_gdb_test.py.
                if str(error).startswith(PYTHON_FAILURES):
                    output += "Python Exception escaped from: %s\n" % command
            sys.stdout.write(output)
            if output and not output.endswith("\n"):
                sys.stdout.write("\n")
            sys.stdout.flush()


main()
