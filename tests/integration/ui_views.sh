# The dashboard on the demo runtime in tmux: every view shows its content at
# 120x40 (the Graph view's arrows move between nodes and back), the layout follows resizes to 80x24 and 160x50, below 80x24 it says
# "terminal too small", and q quits with the terminal restored (echo, icanon).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"

demo_start --seed 7 --speed 5
ui_start 120 40 -- "$URL"
wait_for 'connected'
wait_for 'Coder 1'

# Each view by its number key, and the text that proves it drew.
keys 1; wait_for 'STATE +AGENT.*TASK +TOKENS +COST'
keys 2; wait_for 'Tasks (all runtimes|swarmtop-demo)'
wait_for '(plan|research|code):'
# Graph keys: the selection moves between the drawn nodes (details pane: "id t-N").
sel() { screen | sed -n 's/.*│ id  *\(t-[0-9.]*\).*/\1/p' | head -1; }
wait_for '│ id +t-'
first=$(sel)
keys Right
end=$(( $(date +%s) + 10 ))
while [ "$(sel)" = "$first" ]; do
	[ "$(date +%s)" -lt "$end" ] || ui_die "Right did not move the graph selection from $first"
	sleep 0.2
done
keys Left
end=$(( $(date +%s) + 10 ))
while [ "$(sel)" != "$first" ]; do
	[ "$(date +%s)" -lt "$end" ] || ui_die "Left did not come back to $first (at $(sel))"
	sleep 0.2
done
# n: the next working, failed or input-required task (or a message that there is none).
# The lively demo may finish that task within a second, so accept "moved off the first".
keys n
end=$(( $(date +%s) + 10 ))
until [ "$(sel)" != "$first" ] || screen | grep -q 'no failed or working task in this graph'; do
	[ "$(date +%s)" -lt "$end" ] || ui_die "n did not move the graph selection from $first"
	sleep 0.2
done
keys 3; wait_for 'AGENT +MODEL +INPUT +OUTPUT'
wait_for 'TOTAL'
keys 4; wait_for 'TID NAME +CORE +CPU%'
wait_for 'worker:'
keys 5; wait_for 'TIME +AGENT +KIND +TEXT'
wait_for 'assistant'
keys 6; wait_for 'TIME +WHO +TARGET +ACTION +STATE'
keys '?'; wait_for 'swarmtop keys'
wait_for 'pause +Pause or resume the selection'
keys Escape; wait_for 'TIME +WHO +TARGET'
keys Tab; wait_for 'STATE +AGENT'

# Resizes: the header, tabs and key bar follow the new width, nothing overflows.
for size in 80x24 160x50; do
	w=${size%x*}; h=${size#*x}
	tm resize-window -t ui -x "$w" -y "$h"
	wait_for "^ ?1 Agents +2 Graph"
	for v in 1 2 3 4 5 6; do
		keys $v
		sleep 0.3
		screen | grep -q 'qQuit' || ui_die "no key bar at $size in view $v"
		screen | grep -q 'terminal too small' && ui_die "too small at $size"
	done
	rows=$(screen | wc -l)
	check "$rows" -eq "$h" "rows at $size"
	keys 1; wait_for 'STATE +AGENT'
done

# Below the minimum: a clear message, and back again.
tm resize-window -t ui -x 70 -y 20
wait_for 'terminal too small: 70x20'
tm resize-window -t ui -x 120 -y 40
wait_for 'STATE +AGENT'

ui_quit_check
kill -0 "$DEMO_PID" || die "the demo died"
exit 0
