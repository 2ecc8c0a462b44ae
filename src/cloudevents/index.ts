/**
 * CloudEvents 1.0: the event model, JSON event format, HTTP binding codec and
 * validation. Pure functions, no I/O.
 */
export type { CloudEvent, Violation } from './event.js';
export { REQUIRED_ATTRIBUTES, OPTIONAL_ATTRIBUTES } from './event.js';
export { CloudEventsError, isCloudEventsError, type CloudEventsErrorStatus } from './errors.js';
export {
  parseHttpEvents,
  toHttpBinary,
  toHttpStructured,
  toHttpBatch,
  STRUCTURED_CONTENT_TYPE,
  BATCH_CONTENT_TYPE,
  MAX_REPORTED_VIOLATIONS,
  type HttpHeaders,
  type HttpLimits,
  type HttpMode,
  type ParsedHttpEvents,
} from './http.js';
export { toStructuredJson, toBatchJson } from './json.js';
export {
  validateCloudEvent,
  parseStructuredEvent,
  validateInto,
  structuredPointers,
  binaryPointers,
  escapePointerToken,
  isAttributeName,
  isBase64,
  stringProblem,
  SPEC_VERSION,
  RESERVED_PREFIX,
  type PointerOf,
} from './validate.js';
export {
  parseMediaType,
  isJsonMediaType,
  isTextMediaType,
  declaresJsonData,
  CE_JSON,
  CE_BATCH_JSON,
  type MediaType,
} from './media-type.js';
export { percentEncodeHeaderValue, decodeHeaderValue, type DecodedHeaderValue } from './percent.js';
export { rfc3339Problem, isRfc3339Timestamp, rfc3339Millis } from './rfc3339.js';
export { MAX_JSON_DEPTH, tooDeepAt, tooDeepMessage } from './json-depth.js';
export { uriReferenceProblem, absoluteUriProblem, isUriReference, isAbsoluteUri } from './uri.js';
