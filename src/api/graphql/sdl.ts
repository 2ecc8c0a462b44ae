/**
 * The GraphQL schema of the door, as SDL: the contract (../shared/API.md
 * "GraphQL"). The served SDL (GET /graphql/schema.graphql) is printed from
 * the schema built from this text, and test/api/graphql-schema.test.ts keeps
 * docs/schema.graphql equal to it.
 */
export const SDL = /* GraphQL */ `
"""A 64-bit integer as a decimal string (sequence numbers)."""
scalar Long

"""Any JSON value."""
scalar JSON

"""
A value of an extension attribute in a filter: a string, an integer or a
boolean, checked against the attribute's declared CloudEvents type (the
canonical string form, such as "42" for an Integer, is accepted too).
"""
scalar AttributeValue

"""RFC 3339 text exactly as published (or, for heroldtime, as the hub committed it)."""
scalar DateTime

type Query {
  """The event lists you may see."""
  lists: [EventList!]!
  """One list, or null when it does not exist or you may not see it."""
  list(name: String!): EventList
  """
  A page of events, in log order unless \`order: DESC\`. \`after\` takes an endCursor
  or an eventid; in log order \`after: <endCursor>\` and \`where: {eventid: {gt: N}}\`
  are interchangeable (newest first, \`where: {eventid: {lt: N}}\`).
  """
  events(list: String!, first: Int = 100, after: String, where: EventFilter, order: EventOrder = ASC): EventConnection!
  """One event, or null when it does not exist or you may not see it."""
  event(list: String!, eventid: Long!): Event
}

type Subscription {
  """
  Replays from \`after\` (absent: from now), then follows live, in order and gapless.
  A subscription's \`where\` may bound eventid only from below (gt, gte).
  """
  events(list: String!, after: Long, where: EventFilter): Event!
}

type EventList {
  name: String!
  title: String
  description: String
  """The last sequence number of the list (0 when empty)."""
  head: Long!
  """When the last event was committed; null when the list is empty."""
  lastUpdated: DateTime
  """The extension attributes the list declares that your grant serves (its catalogue)."""
  attributes: [AttributeDeclaration!]!
}

"""A declared extension attribute (docs/catalogue.md)."""
type AttributeDeclaration {
  name: String!
  """Its CloudEvents type: what Event.attributes serves and where: {attr} compares it as."""
  type: AttributeType!
  """A string, or texts by language ({nb, nn, en})."""
  description: JSON
  personalData: PersonalData!
  """Why the hub may carry it, for personal data."""
  legalBasis: String
}

enum AttributeType {
  String
  Integer
  Boolean
  Timestamp
  URI
}

"""none; identifier: identifies a person; special: a special category (GDPR art. 9 and 10)."""
enum PersonalData {
  none
  identifier
  special
}

enum EventOrder {
  """Log order (ascending eventid): \`after: <endCursor>\` goes on to newer events."""
  ASC
  """
  Newest first: \`after: <endCursor>\` (or an eventid N) goes on to older events,
  those with eventid below it; without \`after\`, from the list's head.
  """
  DESC
}

type EventConnection {
  nodes: [Event!]!
  edges: [EventEdge!]!
  pageInfo: PageInfo!
}

type EventEdge {
  cursor: String!
  node: Event!
}

type PageInfo {
  startCursor: String
  """Pass as \`after\` for the next page; it moves past events the filter or your grant skipped."""
  endCursor: String
  """Whether events after endCursor may match (the list goes on beyond what this page looked at)."""
  hasNextPage: Boolean!
}

"""
A CloudEvent as your grant serves it. Attributes your grant does not serve are
null, and the response's extensions.minimised names them.
"""
type Event {
  """The event's sequence number in its list (heroldseq)."""
  eventid: Long!
  """Commit time."""
  heroldtime: DateTime!
  """The previous event with the same subject that you may see."""
  heroldprevseq: Long
  """That previous event, or null."""
  previous: Event
  id: String
  source: String
  specversion: String
  type: String
  subject: String
  time: DateTime
  datacontenttype: String
  dataschema: String
  data: JSON
  data_base64: String
  """Extension attributes other than herold*, as an object."""
  extensions: JSON
  """
  The list's declared extension attributes that your grant serves and the
  event carries, typed (Integer a number, Boolean true or false, the others
  strings). Declared attributes your grant does not serve are absent, and
  named in extensions.minimised as attributes.<name>.
  """
  attributes: JSON
  """
  One extension attribute: typed when the list declares it, as published when
  not; null when the event does not carry it or your grant does not serve it
  (then named in extensions.minimised as attributes.<name>).
  """
  attribute(name: String!): JSON
  """
  The same declared attributes as typed GraphQL fields, in name order: each
  value in the field of its declared CloudEvents type, the other fields null
  (all null for a value that is not of its type, which a list that does not
  enforce may hold). Projected by your grant like attributes.
  """
  declaredAttributes: [DeclaredAttributeValue!]!
}

"""A declared extension attribute of an event, typed by the list's catalogue."""
type DeclaredAttributeValue {
  name: String!
  type: AttributeType!
  """A String attribute's value."""
  string: String
  """An Integer attribute's value (also when it was published as text, "42")."""
  integer: Int
  """A Boolean attribute's value."""
  boolean: Boolean
  """A Timestamp attribute's value, as published."""
  timestamp: DateTime
  """A URI attribute's value."""
  uri: String
}

"""
Every field given must hold (and); \`or\` needs one of its filters, \`not\` its
filter to fail. eventid and heroldtime may be used only outside \`or\` and \`not\`.
"""
input EventFilter {
  and: [EventFilter!]
  or: [EventFilter!]
  not: EventFilter
  eventid: LongFilter
  heroldtime: StringFilter
  id: StringFilter
  source: StringFilter
  type: StringFilter
  subject: StringFilter
  time: StringFilter
  datacontenttype: StringFilter
  dataschema: StringFilter
  ext: [ExtensionFilter!]
  """Extension attributes compared as their declared types; see AttributeFilter."""
  attr: [AttributeFilter!]
}

input LongFilter {
  eq: Long
  neq: Long
  in: [Long!]
  nin: [Long!]
  gt: Long
  gte: Long
  lt: Long
  lte: Long
}

input StringFilter {
  eq: String
  neq: String
  in: [String!]
  nin: [String!]
  startsWith: String
  endsWith: String
  contains: String
  gt: String
  gte: String
  lt: String
  lte: String
}

"""
A test on an extension attribute, by name, typed by the list's declaration:
String takes every operator; URI eq, neq, in, nin, startsWith, endsWith,
contains; Integer and Timestamp (compared as instants) eq, neq, in, nin, gt,
gte, lt, lte; Boolean eq and neq. When the list declares attributes, a name it
does not declare, an operator the type does not take or a value of another
type is refused (BAD_USER_INPUT, naming the attribute). On a list without
declarations, values are compared as text, as with ext.
"""
input AttributeFilter {
  name: String!
  eq: AttributeValue
  neq: AttributeValue
  in: [AttributeValue!]
  nin: [AttributeValue!]
  gt: AttributeValue
  gte: AttributeValue
  lt: AttributeValue
  lte: AttributeValue
  startsWith: String
  endsWith: String
  contains: String
}

"""A test on an extension attribute, by name; its value is compared as text."""
input ExtensionFilter {
  name: String!
  eq: String
  neq: String
  in: [String!]
  nin: [String!]
  startsWith: String
  endsWith: String
  contains: String
}
`;
