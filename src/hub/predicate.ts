/** A predicate over a structured CloudEvent (CESQL filter, grant row filter). */
export type EventPredicate = (event: Record<string, unknown>) => boolean;
