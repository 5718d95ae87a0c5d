'use strict';
/*
 * ref_node.js: the Node.js reference subscriber for the ingest benchmark.
 *
 * What a competent user would write instead of `swarmtop record`: `ws` + `better-sqlite3`
 * (installed by bench/run.sh into bench/node/node_modules, never committed). The same job:
 * connect, read `hello`, send `subscribe` (since 0), JSON.parse every message, store every
 * message (hello included) in SQLite with the same schema shape as swarmtop's store (an
 * `events` table of columns seq, ts, recv_ms, type plus the raw JSON text, a unique
 * (stream, seq) index, INSERT OR IGNORE), the same batching (a transaction per 1000 events or
 * 100 ms, whichever first; prepared statement run in a db.transaction) and the same durability
 * settings (WAL, synchronous=NORMAL, 16 MiB page cache). Runs until SIGTERM or SIGINT, then
 * commits what it holds and exits.
 *
 *   node bench/node/ref_node.js --db PATH URL
 */
const WebSocket = require('ws');
const Database = require('better-sqlite3');

const BATCH_EVENTS = 1000;
const BATCH_MS = 100;

const args = process.argv.slice(2);
const dbPath = args[args.indexOf('--db') + 1];
const url = args.filter((a, i) => a !== '--db' && args[i - 1] !== '--db')[0];
if (!dbPath || !url) {
	console.error('usage: node ref_node.js --db PATH URL');
	process.exit(2);
}

const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('cache_size = -16384');
db.exec(`CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, runtime_id TEXT NOT NULL,
    instance TEXT NOT NULL, UNIQUE (runtime_id, instance));
  CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, session INTEGER NOT NULL,
    stream INTEGER NOT NULL, seq INTEGER, ts INTEGER, recv_ms INTEGER NOT NULL,
    type TEXT NOT NULL, raw TEXT NOT NULL);
  CREATE UNIQUE INDEX IF NOT EXISTS events_by_seq ON events (stream, seq);`);
const insStream = db.prepare('INSERT OR IGNORE INTO streams (runtime_id, instance) VALUES (?, ?)');
const getStream = db.prepare('SELECT id FROM streams WHERE runtime_id = ? AND instance = ?');
const ins = db.prepare('INSERT OR IGNORE INTO events (session, stream, seq, ts, recv_ms, type, raw)' +
	' VALUES (1, ?, ?, ?, ?, ?, ?)');
const insertBatch = db.transaction((rows) => {
	for (const r of rows)
		ins.run(r[0], r[1], r[2], r[3], r[4], r[5]);
});

let rows = [];
let first = 0;
let stream = 0;

// Commit the batch (one transaction).
function flush() {
	if (rows.length === 0)
		return;
	insertBatch(rows);
	rows = [];
}

// Queue one row; commit when the batch is full or old.
function add(row) {
	const now = Date.now();
	if (rows.length === 0)
		first = now;
	rows.push(row);
	if (rows.length >= BATCH_EVENTS || now - first >= BATCH_MS)
		flush();
}

const timer = setInterval(() => {
	if (rows.length && Date.now() - first >= BATCH_MS)
		flush();
}, BATCH_MS / 2);

const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 20 });
ws.on('message', (data, isBinary) => {
	if (isBinary)
		return;
	const raw = data.toString();
	let m;
	try {
		m = JSON.parse(raw);
	} catch (e) {
		return;   // rejected, like swarmtop's counted rejects
	}
	if (stream === 0) {
		if (m.type !== 'hello' || !m.runtime)
			return;
		insStream.run(m.runtime.id, m.runtime.instance);
		stream = getStream.get(m.runtime.id, m.runtime.instance).id;
		add([stream, null, null, Date.now(), 'hello', raw]);
		ws.send(JSON.stringify({ type: 'subscribe', since: 0 }));
		return;
	}
	if (typeof m.seq !== 'number' || typeof m.ts !== 'number' || typeof m.type !== 'string')
		return;
	add([stream, m.seq, m.ts, Date.now(), m.type, raw]);
});
ws.on('error', (e) => {
	console.error('ref_node: ' + e.message);
});

// Stop: commit what is held, close the database, exit.
function stop() {
	clearInterval(timer);
	flush();
	db.close();
	process.exit(0);
}
ws.on('close', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
