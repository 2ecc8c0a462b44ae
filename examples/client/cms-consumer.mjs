#!/usr/bin/env node
// The CMS keeps its copy of people current (seed steps 4-6). Run: HEROLD_URL=... HEROLD_KEY=... node cms-consumer.mjs
import { readFile, writeFile } from 'node:fs/promises';
import { Consumer, FileCursorStore, fetchSupplementary } from 'herold/client';

const { HEROLD_URL, HEROLD_KEY, HR_API = 'http://127.0.0.1:8097/api', COPY = 'cms-people.json', CURSOR = 'cms.cursor.json' } = process.env;
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop.abort());

const consumer = new Consumer({
  url: HEROLD_URL, key: HEROLD_KEY, list: 'hr.person', signal: stop.signal,
  type: ['no.example.hr.person.changed', 'no.example.hr.person.left'], // 4. only what the CMS shows
  cursorStore: new FileCursorStore(CURSOR), // saved only after an event is done
});
const copy = JSON.parse(await readFile(COPY, 'utf8').catch(() => '{}'));

await consumer.run(async (event) => {
  const person = await fetchSupplementary(event, { baseUrl: HR_API }); // 5. the data, from HR (ETag-cached)
  if (person.status === 404) delete copy[event.subject]; // 6. update the copy
  else copy[event.subject] = person.body;
  await writeFile(COPY, JSON.stringify(copy, null, 2));
  console.log(`#${event.heroldseq} ${event.subject}: ${person.body?.name ?? 'gone'}`);
});
