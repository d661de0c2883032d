"""relmap's exit codes, one meaning each, shared by every command.

0 success; 1 the mapping has errors (validate) or some records failed (render, run); 2 usage error or a fatal problem
(a mapping that does not compile, an input or API that cannot be read, wrong credentials), and, with
``run --dry-run --detailed-exitcode``, a plan that has changes; 3 (run, status) relations are pending (the hour's
Silvasoft budget ran out, or a write could not be confirmed): the next run goes on; 130 interrupted; 141 the reader of
the output went away (``| head``), as a shell reports a command that SIGPIPE ended.
"""

EXIT_OK, EXIT_FAILED, EXIT_FATAL = 0, 1, 2
EXIT_CHANGES = 2  # run --dry-run --detailed-exitcode: the plan has changes (as terraform plan -detailed-exitcode)
EXIT_PENDING = 3  # run and status: relations are left for the next run
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # as a shell reports a command that SIGPIPE ended
