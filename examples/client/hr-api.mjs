#!/usr/bin/env node
// The HR system's API that the CMS example fetches people from (seed step 5): GET /api/person/{id}
// with an ETag per version, 404 for someone who left. Usage: node hr-api.mjs --port 8097
import { createServer } from 'node:http';

const port = Number(process.argv[process.argv.indexOf('--port') + 1] || 8097);
const people = {
  123: { name: 'Kari Nordmann', department: 'Finance', version: 2 },
  456: { name: 'Ola Nordmann', department: 'IT', version: 1 },
  789: { name: 'Per Hansen', department: 'IT', version: 1 },
};

const server = createServer((req, res) => {
  if (req.url === '/readyz') return res.end('ok');
  const id = /^\/api\/person\/(\d+)$/.exec(req.url ?? '')?.[1];
  const person = id && people[id];
  if (!person) return res.writeHead(404).end();
  const etag = `"${id}-${person.version}"`;
  if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
  res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify({ id, name: person.name, department: person.department }));
});
server.listen(port, '127.0.0.1', () => console.log(`HR API on http://127.0.0.1:${port}/api`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
