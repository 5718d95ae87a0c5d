'use strict';
// check.js: exits 0 when the Node.js reference's modules (ws, better-sqlite3) load and work.
require('ws');
new (require('better-sqlite3'))(':memory:').prepare('SELECT 1').get();
