// The bench events' type, declared with a schema their data meets (bench/lib/events.js).
export const BENCH_TYPE_DECLARATION = {
  title: 'Address changed (bench)',
  schema: {
    type: 'object',
    required: ['register', 'change', 'pad'],
    additionalProperties: false,
    properties: { register: { const: 'folkeregister' }, change: { enum: ['bostedsadresse', 'postadresse'] }, pad: { type: 'string', maxLength: 1000 } },
  },
};
