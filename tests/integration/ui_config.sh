# Keys remapped in the config file work in the dashboard (and the defaults they
# replace no longer do); a duplicate binding is refused with file:line on stderr,
# the status line says a line was bad, and the rest of the file still loads.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"

CFG=$XDG_CONFIG_HOME/swarmtop/config
cat >"$CFG" <<'EOF'
# quit on Q only, the Graph view on F2, help on F1 only
key quit Q
key graph F2
key help F1
EOF
ui_start 120 40 --
wait_for 'DEMO'
wait_for 'STATE +AGENT'
keys F2; wait_for 'Tasks (all runtimes|swarmtop-demo)'
keys 1; wait_for 'STATE +AGENT'
keys '?'; sleep 1
screen | grep -q 'swarmtop keys' && ui_die "? still opens help after 'key help F1'"
keys F1; wait_for 'swarmtop keys'
wait_for 'Q +quit'
keys Escape; wait_for 'STATE +AGENT'
# The key bar shows the new key.
wait_for 'QQuit'
# q is no longer quit; Q is.
keys q; sleep 1
screen | grep -q 'swarmtop exited' && ui_die "q still quits after 'key quit Q'"
keys Q
wait_for 'swarmtop exited 0'
[ -s "$UI_ERR" ] && die "stderr not empty for a good config: $(cat "$UI_ERR")"
tm kill-server

# A duplicate: the second binding of x is refused with file:line; the rest loads.
cat >"$CFG" <<'EOF'
key retry X
key cancel X
key quit Q
EOF
ui_start 120 40 --
wait_for 'DEMO'
wait_for "1 bad line in $CFG"
grep -q "swarmtop: $CFG:2: key X is already bound to 'retry'" "$UI_ERR" ||
	die "no file:line message for the duplicate: $(cat "$UI_ERR")"
# Line 3 still loaded: Q quits.
keys Q
wait_for 'swarmtop exited 0'
exit 0
