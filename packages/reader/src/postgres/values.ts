/**
 * A tuple's values in the order of its plan's slots, in PostgreSQL text form: `null` is SQL NULL,
 * `undefined` an unchanged TOAST value (or a column the relation lacks). Never confused: an
 * unchanged value is re-read or taken from an earlier tuple, never NULL.
 */
export type Values = (string | null | undefined)[];
