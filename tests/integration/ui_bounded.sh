# Finished agents are bounded (MODEL_AGENTS_DONE_MAX): past it the oldest finished agents are
# forgotten and the rest move to other indices. The operator's selection and tags follow
# the agents themselves, not their old positions: after a runtime churns through enough
# finished agents to evict hundreds of rows, `i` still injects into the selected agent and
# `x` still cancels the tagged one (checked in the commands the runtime received).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 is not installed"; exit 77; }

P=$(free_port)
FLAG=$T/churn.flag
CMDS=$T/commands.jsonl
: >"$CMDS"
$PY "$ROOT/tests/churn_runtime.py" --port "$P" --flag "$FLAG" --log "$CMDS" \
	--old 100 --new 700 >"$T/churn.log" 2>&1 &
track $!
wait_port "$P" 20 || die "churn runtime did not start: $(cat "$T/churn.log")"
DB=$T/ui.db
ui_start 120 40 -- --db "$DB" "ws://127.0.0.1:$P/swarmtop"
wait_for 'Keeper'

# select_agent NAME: filter the Agents view down to NAME and select it.
select_agent() {
	keys 1 / C-u
	type_text "$1"
	keys Enter k
	wait_for "^ *[a-z]+ +$1 "
}
select_agent Tagged
keys Space
select_agent Keeper

# grepc REGEX: how many received commands match.
grepc() { grep -Ec -- "$1" "$CMDS"; }
INJECT='"action": *"inject".*"agent": *"keeper"'
CANCEL='"action": *"cancel".*"agent": *"zz-tagged"'

# Now 700 more finished agents: the table passes its cap and forgets the oldest hundreds.
touch "$FLAG"
eventually 1 60 "the churn recorded" sqlite3 -cmd '.timeout 5000' "$DB" \
	"select count(*) from events where raw like '%churn done%'"
keys 1
wait_for "^ *working +Keeper "

keys i
wait_for 'inject → keeper>'
type_text "still you"
keys Enter
eventually 1 20 "inject received by keeper" grepc "$INJECT"

keys x
wait_for 'Cancel 1 tagged agents\?'
keys y
wait_for 'reason'
keys Enter
eventually 1 20 "cancel received by the tagged agent" grepc "$CANCEL"
check "$(grepc '"type": *"command"')" = 2 "commands received: $(cat "$CMDS")"
ui_quit_check
