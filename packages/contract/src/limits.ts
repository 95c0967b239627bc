// The one place georep's size limits are set; every other limit derives from these two.
// docs/capture.md "Row size limit" explains the numbers.

/**
 * The most one replicated row may carry in register values, as JSON text (escapes and quotes
 * included, as the row's slice carries them). The capture trigger refuses a local write above it
 * (SQLSTATE 54000), so a row that exists can always be shipped and merged. Changing it changes
 * the compiled triggers (their spec hash includes it) and the topics' limit below.
 */
export const MAX_ROW_VALUE_BYTES = 8 * 1024 * 1024;

/**
 * The largest Kafka message georep produces or accepts: one row at the limit plus its key,
 * counters, stamps and the envelope header, with room to spare (a key is bounded by PostgreSQL's
 * index entry limit, ~2.7 kB). Every georep topic is created (or altered) with this
 * `max.message.bytes`, and the merger fetches and decodes messages up to it.
 */
export const MAX_MESSAGE_BYTES = MAX_ROW_VALUE_BYTES + 1024 * 1024;
