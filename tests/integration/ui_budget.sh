# Budgets that act (issue 5), on the demo through tmux:
#   a tiny USD budget with policy pause on one agent: the status line counts down,
#   then the dashboard pauses the agent itself; the audit trail holds the pause
#   with who = budget:NAME, and the demo applies it (the agent shows paused);
#   the Tokens view shows the budget over, the Agents row carries the budget mark;
#   a second run where b cancels the countdown: nothing is sent.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 is not installed"; exit 77; }

demo_start --seed 7 --speed 10
CFG=$XDG_CONFIG_HOME/swarmtop/config
sql() { sqlite3 -cmd '.timeout 5000' "$1" "$2"; }

# ---- the countdown runs out: an automatic pause ----
cat >"$CFG" <<'EOF'
budget tiny agent=researcher-1 usd=0.0001 policy=pause countdown=4s
EOF
DB=$T/a.db
ui_start 120 40 -- --db "$DB" "$URL"
wait_for 'connected'
wait_for 'budget tiny: \$[0-9.]+\+? of \$0\.0001 — pausing researcher-1 in [0-9]+s, press b to cancel' 90
wait_for 'budget tiny: .* pause sent to researcher-1|pause researcher-1: (accepted|applied)' 30
wait_for 'paused +Researcher 1 '
end=$(( $(date +%s) + 30 ))
while [ "$(sql "$DB" "SELECT count(*) FROM commands WHERE status='applied'")" != 1 ]; do
	[ "$(date +%s)" -lt "$end" ] || die "no applied command: $(sql "$DB" 'SELECT * FROM commands')"
	sleep 0.3
done
row=$(sql "$DB" "SELECT action, target_kind, target, who, status, reason FROM commands")
echo "$row" | grep -q '^pause|agent|researcher-1|budget:tiny|applied|budget tiny: \$' ||
	die "audit row: $row"
# The row's budget mark, and the Tokens view's budget block.
screen | grep -Eq '^\$ +paused +Researcher 1 ' || ui_die "no budget mark on the agent's row"
keys 3
wait_for 'BUDGET +SCOPE'
wait_for 'tiny +agent researcher-1 .*paused by the budget'
# The Log view tells the story (found with / and n: the lively demo scrolls it away).
keys 5 /
type_text 'budget tiny: '
keys Enter
i=0
until screen | grep -Eq 'budget tiny: .*(pausing researcher-1 in [0-9]+s unless canceled|pause sent to researcher-1)'; do
	i=$((i + 1)); [ $i -le 8 ] || ui_die "the countdown's line is not in the Log view"
	keys n
	sleep 0.5
done
ui_quit_check
tm kill-server

# ---- b cancels the countdown: nothing is sent ----
cat >"$CFG" <<'EOF'
budget tiny2 agent=researcher-2 usd=0.0001 policy=pause countdown=8s
EOF
DB=$T/b.db
ui_start 120 40 -- --db "$DB" "$URL"
wait_for 'connected'
wait_for 'budget tiny2: .* pausing researcher-2 in [0-9]+s, press b to cancel' 90
keys b
wait_for 'budget tiny2: automatic pause canceled by the operator, nothing sent'
wait_gone 'press b to cancel'
keys 3
wait_for 'tiny2 +agent researcher-2 .*over; auto-pause canceled'
# Past where the deadline was (8 s): still nothing in the audit trail.
i=0
while [ $i -lt 10 ]; do
	[ "$(sql "$DB" 'SELECT count(*) FROM commands')" = 0 ] ||
		die "a command was sent after cancel: $(sql "$DB" 'SELECT * FROM commands')"
	sleep 1; i=$((i + 1))
done
screen | grep -q 'paused by the budget' && ui_die "paused after cancel"
keys b
wait_for 'no budget countdown is running'
ui_quit_check
exit 0
