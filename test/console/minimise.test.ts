import { describe, expect, it } from 'vitest';
import { serves as hubServes, projectEvent } from '../../src/hub/project.js';
import { minimise, parseFields, serves as previewServes } from '../../console/src/components/minimise.js';

/** The approval preview must minimise exactly as the hub serves: the two rules may not drift apart. */
describe("the console's preview minimisation", () => {
  const attributes = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'data', 'data_base64', 'datacontenttype', 'dataschema', 'heroldseq', 'heroldtime', 'heroldprevseq', 'partitionkey', 'traceparent'];
  const fieldLists: (string[] | undefined)[] = [undefined, [], ['subject'], ['data'], ['time', 'partitionkey'], ['subject', 'data', 'datacontenttype'], ['heroldprevseq']];

  it('serves the same attributes as the hub for every field list', () => {
    for (const fields of fieldLists) for (const a of attributes) expect(previewServes(fields, a), `${a} with ${JSON.stringify(fields)}`).toBe(hubServes(fields, a));
  });

  it('leaves out heroldprevseq (linked within the consumer view by the hub) and is otherwise projectEvent', () => {
    const event = Object.fromEntries(attributes.map((a) => [a, `v-${a}`]));
    for (const fields of fieldLists) {
      const { heroldprevseq: _, ...expected } = projectEvent(event, fields);
      expect(minimise(event, fields)).toEqual(expected);
    }
  });

  it('reads a field list as written in the form', () => {
    expect(parseFields(' subject, data ,,')).toEqual(['subject', 'data']);
    expect(parseFields('  ')).toBeUndefined();
  });
});
