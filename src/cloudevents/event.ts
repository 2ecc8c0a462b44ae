/**
 * The CloudEvent model Herold works with everywhere: the structured JSON form
 * (CloudEvents JSON format), as a plain object. Context attributes keep the
 * exact JSON values the provider sent (strings stay byte-for-byte; no
 * attribute is invented or reformatted). Exactly one of `data` and
 * `data_base64` may be present.
 */
export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: unknown;
  data_base64?: string;
  /** Extension attributes: lower-case a-z0-9 names, values string | number | boolean. */
  [extension: string]: unknown;
}

/** One problem with an input, addressed by a JSON pointer (RFC 6901) into the request. */
export interface Violation {
  pointer: string;
  message: string;
}

export const REQUIRED_ATTRIBUTES = ['id', 'source', 'specversion', 'type'] as const;
export const OPTIONAL_ATTRIBUTES = ['datacontenttype', 'dataschema', 'subject', 'time'] as const;
