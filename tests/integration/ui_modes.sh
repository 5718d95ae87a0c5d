# The dashboard's terminal modes in tmux, on the embedded demo: NO_COLOR=1 paints
# no colour (attributes only), LANG=C draws pure ASCII (no byte above 0x7f on the
# screen), and both still quit cleanly with the terminal restored.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"

# NO_COLOR: no SGR colour codes (30-37, 40-47, 38;5, 48;5, 90-97) in any view.
ui_start 120 40 NO_COLOR=1 --
wait_for 'DEMO'
wait_for 'STATE +AGENT'
for v in 1 2 3 4 5 6; do
	keys $v
	sleep 0.5
	# Every SGR parameter, one per line (39 and 49 are "default colour", allowed).
	tm capture-pane -e -p -t ui | tr '\033' '\n' | sed -n 's/^\[\([0-9;]*\)m.*/\1/p' \
		| tr ';' '\n' | sort -u >"$T/sgr.txt"
	grep -Eqx '3[0-8]|4[0-8]|9[0-7]|10[0-7]' "$T/sgr.txt" &&
		ui_die "NO_COLOR: colour codes in view $v: $(tr '\n' ' ' <"$T/sgr.txt")"
	grep -qx '1' "$T/sgr.txt" || ui_die "NO_COLOR: no bold at all in view $v"
done
ui_quit_check
tm kill-server

# LANG=C: ASCII only, in every view and the help.
ui_start 120 40 LANG=C LC_ALL=C --
wait_for 'DEMO'
wait_for 'STATE +AGENT'
for v in 1 2 3 4 5 6 '?'; do
	keys "$v"
	sleep 0.5
	screen >"$T/ascii.txt"
	[ "$(LC_ALL=C tr -d '\000-\177' <"$T/ascii.txt" | wc -c)" -eq 0 ] ||
		ui_die "LANG=C: non-ASCII in view $v"
	[ -s "$T/ascii.txt" ] || ui_die "empty screen"
done
keys Escape
ui_quit_check
exit 0
