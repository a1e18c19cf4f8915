"""``make bench``: the gate's costs measured on this machine, written as a Markdown and a JSON
report that describe the machine; ``--base COMMIT`` measures another commit beside it."""
