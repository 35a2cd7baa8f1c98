# `vmpl list`: the registry of the program.
vmpl list
